//! Quoting of identifiers and literals for SQL that squashmate writes, so no name or value can
//! break out of its place.

/// `name` as a double-quoted identifier (`"Weird ""Col"""`).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `name` as PostgreSQL's `quote_ident()` writes it: bare when it is a plain lower-case name
/// and no keyword beyond the unreserved ones, double-quoted otherwise (so it matches the
/// names the catalog reads).
pub fn quote_ident_if_needed(name: &str) -> String {
    let plain = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    let unreserved = |kind: i32| {
        kind == pg_query::protobuf::KeywordKind::NoKeyword as i32 || kind == pg_query::protobuf::KeywordKind::UnreservedKeyword as i32
    };
    let keyword = pg_query::scan(name).ok().and_then(|s| s.tokens.first().map(|t| !unreserved(t.keyword_kind))).unwrap_or(true);
    if plain && !keyword { name.to_string() } else { quote_ident(name) }
}

/// `value` as a string literal; uses the `E''` form only when a backslash needs it.
pub fn quote_literal(value: &str) -> String {
    let escaped = value.replace('\'', "''");
    if escaped.contains('\\') { format!("E'{}'", escaped.replace('\\', "\\\\")) } else { format!("'{escaped}'") }
}

/// PostgreSQL's identifier limit in bytes.
pub const MAX_IDENTIFIER: usize = 63;

/// Splits `schema.table[.column]` written as in SQL: double-quoted parts keep their case and
/// may contain dots and doubled quotes; unquoted parts fold to lower case.
pub fn parse_qualified(text: &str) -> Result<Vec<String>, String> {
    let mut parts = Vec::new();
    let mut chars = text.trim().chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    Some('"') => break,
                    Some(c) => part.push(c),
                    None => return Err(format!("unterminated quoted identifier in `{text}`")),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                if c.is_whitespace() || c == '"' {
                    return Err(format!("unexpected `{c}` in `{text}`; quote the identifier"));
                }
                part.push(c.to_ascii_lowercase());
                chars.next();
            }
        }
        if part.is_empty() {
            return Err(format!("empty name part in `{text}`"));
        }
        if part.len() > MAX_IDENTIFIER {
            return Err(format!("`{part}` is longer than PostgreSQL's {MAX_IDENTIFIER}-byte identifier limit"));
        }
        parts.push(part);
        match chars.next() {
            None => return Ok(parts),
            Some('.') => {}
            Some(c) => return Err(format!("unexpected `{c}` in `{text}`")),
        }
    }
}

/// The offsets of the dots that separate the parts of a qualified name written as in SQL (a
/// dot inside double quotes belongs to its part).
fn separating_dots(qualified: &str) -> impl Iterator<Item = usize> + '_ {
    let mut quoted = false;
    qualified.char_indices().filter_map(move |(at, c)| {
        if c == '"' {
            quoted = !quoted;
        }
        (c == '.' && !quoted).then_some(at)
    })
}

/// A list PostgreSQL prints joined by `, ` (an ACL, a grants listing) split into its items,
/// quotes kept: a `, ` inside a quoted name belongs to its item.
pub fn split_list(listed: &str) -> Vec<&str> {
    split_outside_quotes(listed, ", ")
}

/// Words joined by single spaces split apart, quotes kept: a space inside a quoted name
/// belongs to its word.
pub fn split_words(words: &str) -> Vec<&str> {
    split_outside_quotes(words, " ")
}

/// `text` split at each `separator` outside double quotes, empty items left out.
fn split_outside_quotes<'t>(text: &'t str, separator: &str) -> Vec<&'t str> {
    let mut quoted = false;
    let mut items = Vec::new();
    let mut start = 0;
    for (at, c) in text.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted && at >= start && text[at..].starts_with(separator) {
            items.push(&text[start..at]);
            start = at + separator.len();
        }
    }
    items.push(&text[start..]);
    items.retain(|item| !item.is_empty());
    items
}

/// `schema.table[.column]` split at its first separating dot, quotes kept.
pub fn split_first_part(qualified: &str) -> Option<(&str, &str)> {
    separating_dots(qualified).next().map(|at| (&qualified[..at], &qualified[at + 1..]))
}

/// `schema.table.column` split at its last separating dot, quotes kept.
pub fn split_last_part(qualified: &str) -> Option<(&str, &str)> {
    separating_dots(qualified).last().map(|at| (&qualified[..at], &qualified[at + 1..]))
}

/// The name PostgreSQL makes for an object from two names and a label when none is given
/// (`makeObjectName`: `<name1>_<name2>_<label>`, unquoted): where that is too long, the longer
/// name is shortened a byte at a time until it fits, then each cut back to a character boundary.
pub fn make_object_name(name1: &str, name2: &str, label: &str) -> String {
    let available = MAX_IDENTIFIER - (label.len() + 2);
    let (mut chars1, mut chars2) = (name1.len(), name2.len());
    while chars1 + chars2 > available {
        if chars1 > chars2 {
            chars1 -= 1;
        } else {
            chars2 -= 1;
        }
    }
    let clip = |name: &str, mut at: usize| {
        while !name.is_char_boundary(at) {
            at -= 1;
        }
        name[..at].to_string()
    };
    format!("{}_{}_{label}", clip(name1, chars1), clip(name2, chars2))
}

/// `base` + `suffix`, shortened to fit 63 bytes: when too long, the base is cut at a character
/// boundary and a short hash of the full name keeps different long names apart.
pub fn fit_identifier(base: &str, suffix: &str) -> String {
    let full = format!("{base}{suffix}");
    if full.len() <= MAX_IDENTIFIER {
        return full;
    }
    let hash = &blake3::hash(full.as_bytes()).to_hex()[..8];
    let room = MAX_IDENTIFIER - suffix.len() - hash.len() - 1;
    let mut cut = room.min(base.len());
    while !base.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{hash}{suffix}", &base[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_are_shortened_as_postgresql_shortens_them() {
        assert_eq!(make_object_name("t", "c", "not_null"), "t_c_not_null");
        let long = "a".repeat(60);
        // 63 - 10 = 53 bytes for both names: the longer loses bytes until they are even.
        assert_eq!(make_object_name(&long, "code", "not_null"), format!("{}_code_not_null", "a".repeat(49)));
        assert_eq!(make_object_name(&long, &"b".repeat(40), "not_null"), format!("{}_{}_not_null", "a".repeat(27), "b".repeat(26)));
        // Cut back to a character boundary: `é` is two bytes.
        let accented = format!("x{}", "é".repeat(30));
        let name = make_object_name(&accented, "c", "not_null");
        assert!(name.ends_with("_c_not_null") && name.starts_with("xéé"), "{name}");
        assert_eq!(name.len(), 1 + 25 * 2 + "_c_not_null".len(), "52 bytes would cut an `é` in two: {name}");
    }

    #[test]
    fn lists_split_at_commas_outside_quotes() {
        assert_eq!(split_list(r#""a, b":SELECT, app:INSERT"#), [r#""a, b":SELECT"#, "app:INSERT"]);
        assert_eq!(split_list(r#""x ""y, z"""=r/postgres, =X/postgres"#), [r#""x ""y, z"""=r/postgres"#, "=X/postgres"]);
        assert!(split_list("").is_empty());
        assert_eq!(split_words(r#""Data Team" "My ""x"" schema" r"#), [r#""Data Team""#, r#""My ""x"" schema""#, "r"]);
    }

    #[test]
    fn qualified_names_split_at_dots_outside_quotes() {
        assert_eq!(split_first_part("\"a.b\".\"c.d\".e"), Some(("\"a.b\"", "\"c.d\".e")));
        assert_eq!(split_last_part("\"a.b\".\"c.d\".e"), Some(("\"a.b\".\"c.d\"", "e")));
        assert_eq!(split_last_part("public.t"), Some(("public", "t")));
        assert_eq!(split_first_part("\"x.y\""), None);
    }

    #[test]
    fn quotes_identifiers_only_where_postgresql_does() {
        assert_eq!(quote_ident_if_needed("legacy"), "legacy");
        assert_eq!(quote_ident_if_needed("name"), "name");
        assert_eq!(quote_ident_if_needed("user"), "\"user\"");
        assert_eq!(quote_ident_if_needed("Mixed"), "\"Mixed\"");
        assert_eq!(quote_ident_if_needed("has space"), "\"has space\"");
    }

    #[test]
    fn qualified_names_as_in_sql() {
        assert_eq!(parse_qualified("Public.Users").unwrap(), ["public", "users"]);
        assert_eq!(parse_qualified(r#"public."Audit Log"."Weird ""Col""""#).unwrap(), ["public", "Audit Log", "Weird \"Col\""]);
        assert_eq!(parse_qualified(r#""a.b".c"#).unwrap(), ["a.b", "c"]);
        assert!(parse_qualified("public.").is_err());
        assert!(parse_qualified("bad name").is_err());
        assert!(parse_qualified(r#"public."open"#).is_err());
    }

    #[test]
    fn identifiers_fit_63_bytes() {
        assert_eq!(fit_identifier("users", "_squashed_20261122"), "users_squashed_20261122");
        let long = "a".repeat(60);
        let fitted = fit_identifier(&long, "_squashed_20261122");
        assert_eq!(fitted.len(), 63);
        assert_ne!(fitted, fit_identifier(&"a".repeat(61), "_squashed_20261122"));
        let accented = "é".repeat(40);
        assert!(fit_identifier(&accented, "_x").len() <= 63);
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("Weird \"Col\""), "\"Weird \"\"Col\"\"\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b"), "E'a\\\\b'");
    }
}
