//! `CREATE` statements written from catalog properties, for the kinds PostgreSQL has no
//! `pg_get_*def` for: publications, collations, casts, operators, foreign-data wrappers and
//! foreign servers.

use crate::catalog::Object;
use crate::sql::quote_literal;

/// A property of `object` (empty when it has none).
pub fn prop<'o>(object: &'o Object, name: &str) -> &'o str {
    object.props.get(name).map(String::as_str).unwrap_or("")
}

/// `CREATE PUBLICATION`.
pub fn create_publication(publication: &Object) -> String {
    let scope = match (prop(publication, "all tables"), prop(publication, "tables")) {
        ("true", _) => " FOR ALL TABLES".to_string(),
        (_, "") => String::new(),
        (_, tables) => format!(" FOR TABLE {tables}"),
    };
    format!(
        "CREATE PUBLICATION {}{scope} WITH (publish = {})",
        publication.name,
        quote_literal(&prop(publication, "actions").replace(',', ", "))
    )
}

/// `CREATE COLLATION` (libc and ICU providers).
pub fn create_collation(collation: &Object) -> Option<String> {
    let deterministic = if prop(collation, "deterministic") == "false" { ", deterministic = false" } else { "" };
    let (collate, ctype) = (quote_literal(prop(collation, "collate")), quote_literal(prop(collation, "ctype")));
    match prop(collation, "provider") {
        "c" => Some(format!(
            "CREATE COLLATION {} (provider = libc, lc_collate = {collate}, lc_ctype = {ctype}{deterministic})",
            collation.name
        )),
        "i" => Some(format!("CREATE COLLATION {} (provider = icu, locale = {collate}{deterministic})", collation.name)),
        _ => None,
    }
}

/// `CREATE CAST`; the cast's name is `(source AS target)`.
pub fn create_cast(cast: &Object) -> Option<String> {
    let how = match (prop(cast, "method"), prop(cast, "function")) {
        ("f", function) if !function.is_empty() => format!("WITH FUNCTION {function}"),
        ("i", _) => "WITH INOUT".to_string(),
        ("b", _) => "WITHOUT FUNCTION".to_string(),
        _ => return None,
    };
    let context = match prop(cast, "context") {
        "a" => " AS ASSIGNMENT",
        "i" => " AS IMPLICIT",
        _ => "",
    };
    Some(format!("CREATE CAST {} {how}{context}", cast.name))
}

/// An operator's name and argument types from its catalog name `schema.op(left, right)`
/// (`NONE` for a missing side).
fn operator_signature(name: &str) -> Option<(&str, &str, &str)> {
    let (operator, arguments) = name.split_once('(')?;
    let (left, right) = arguments.strip_suffix(')')?.split_once(", ")?;
    Some((operator, left, right))
}

/// `DROP OPERATOR schema.op (left, right)`.
pub fn drop_operator(operator: &Object) -> Option<String> {
    let (name, left, right) = operator_signature(&operator.name)?;
    Some(format!("DROP OPERATOR {name} ({left}, {right})"))
}

/// `CREATE OPERATOR` with its function, argument types, commutator and negator.
pub fn create_operator(operator: &Object) -> Option<String> {
    let (name, left, right) = operator_signature(&operator.name)?;
    let function = prop(operator, "function").split('(').next().filter(|f| !f.is_empty())?;
    let mut parts = vec![format!("FUNCTION = {function}")];
    if left != "NONE" {
        parts.push(format!("LEFTARG = {left}"));
    }
    if right != "NONE" {
        parts.push(format!("RIGHTARG = {right}"));
    }
    for (property, keyword) in [("commutator", "COMMUTATOR"), ("negator", "NEGATOR")] {
        // `schema.op(left,right)` as regoperator prints it: the operator is what comes before `(`.
        if let Some(other) = prop(operator, property).split('(').next().filter(|o| !o.is_empty()) {
            let (schema, symbol) = other.rsplit_once('.').unwrap_or(("", other));
            let qualified = if schema.is_empty() { symbol.to_string() } else { format!("OPERATOR({schema}.{symbol})") };
            parts.push(format!("{keyword} = {qualified}"));
        }
    }
    Some(format!("CREATE OPERATOR {name} ({})", parts.join(", ")))
}

/// Generic options as the catalog lists them (`host=a, port=5432`) in `OPTIONS (…)` form.
pub fn options_clause(listed: &str) -> String {
    let options: Vec<String> = listed
        .split(", ")
        .filter_map(|o| o.split_once('='))
        .map(|(key, value)| format!("{} {}", crate::sql::quote_ident_if_needed(key), quote_literal(value)))
        .collect();
    if options.is_empty() { String::new() } else { format!(" OPTIONS ({})", options.join(", ")) }
}

/// `ALTER … OPTIONS (ADD …, SET …, DROP …)` items taking the options `was` to `now`.
pub fn options_change(was: &str, now: &str) -> Option<String> {
    let pairs = |listed: &str| -> Vec<(String, String)> {
        listed.split(", ").filter_map(|o| o.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    let (was, now) = (pairs(was), pairs(now));
    let mut items: Vec<String> = Vec::new();
    for (key, value) in &now {
        match was.iter().find(|(k, _)| k == key) {
            Some((_, old)) if old == value => {}
            Some(_) => items.push(format!("SET {} {}", crate::sql::quote_ident_if_needed(key), quote_literal(value))),
            None => items.push(format!("ADD {} {}", crate::sql::quote_ident_if_needed(key), quote_literal(value))),
        }
    }
    for (key, _) in was.iter().filter(|(k, _)| !now.iter().any(|(n, _)| n == k)) {
        items.push(format!("DROP {}", crate::sql::quote_ident_if_needed(key)));
    }
    (!items.is_empty()).then(|| format!("OPTIONS ({})", items.join(", ")))
}

/// `CREATE FOREIGN DATA WRAPPER` with its handler, validator and options.
pub fn create_wrapper(wrapper: &Object) -> String {
    let mut sql = format!("CREATE FOREIGN DATA WRAPPER {}", wrapper.name);
    for (property, keyword) in [("handler", "HANDLER"), ("validator", "VALIDATOR")] {
        if !prop(wrapper, property).is_empty() {
            sql.push_str(&format!(" {keyword} {}", prop(wrapper, property)));
        }
    }
    sql + &options_clause(prop(wrapper, "options"))
}

/// `CREATE SERVER` with its type, version, wrapper and options.
pub fn create_server(server: &Object) -> String {
    let mut sql = format!("CREATE SERVER {}", server.name);
    if !prop(server, "type").is_empty() {
        sql.push_str(&format!(" TYPE {}", quote_literal(prop(server, "type"))));
    }
    if !prop(server, "version").is_empty() {
        sql.push_str(&format!(" VERSION {}", quote_literal(prop(server, "version"))));
    }
    sql.push_str(&format!(" FOREIGN DATA WRAPPER {}", prop(server, "wrapper")));
    sql + &options_clause(prop(server, "options"))
}

/// `CREATE EVENT TRIGGER` with its event, tags and function, and `ALTER … DISABLE` (or
/// `ENABLE REPLICA`/`ALWAYS`) when it is not simply enabled.
pub fn create_event_trigger(trigger: &Object) -> Vec<String> {
    let tags = prop(trigger, "tags");
    let when = if tags.is_empty() {
        String::new()
    } else {
        let listed: Vec<String> = tags.split(", ").map(quote_literal).collect();
        format!(" WHEN TAG IN ({})", listed.join(", "))
    };
    let mut sql = vec![format!(
        "CREATE EVENT TRIGGER {} ON {}{when} EXECUTE FUNCTION {}",
        trigger.name,
        prop(trigger, "event"),
        prop(trigger, "function")
    )];
    sql.extend(event_trigger_state(trigger));
    sql
}

/// `ALTER EVENT TRIGGER` for its enabled state (`O` enabled: nothing to say on creation).
pub fn event_trigger_state(trigger: &Object) -> Option<String> {
    let how = match prop(trigger, "enabled") {
        "D" => "DISABLE",
        "R" => "ENABLE REPLICA",
        "A" => "ENABLE ALWAYS",
        _ => return None,
    };
    Some(format!("ALTER EVENT TRIGGER {} {how}", trigger.name))
}

/// The `(grantee, privilege)` pairs of a `grants` object's `privileges` (`app:SELECT, …`).
fn grant_pairs(listed: &str) -> Vec<(&str, &str)> {
    listed.split(", ").filter_map(|pair| pair.rsplit_once(':')).collect()
}

/// What a `grants` object (`table public.t`, `column public.t.c`, `schema app`, `function
/// public.f(integer)`) is, as `GRANT … ON` names it, and the column list for a column.
fn grant_target(name: &str) -> Option<(String, String)> {
    let (kind, object) = name.split_once(' ')?;
    match kind {
        "table" => Some((format!("TABLE {object}"), String::new())),
        "schema" => Some((format!("SCHEMA {object}"), String::new())),
        "function" | "procedure" | "type" => Some((format!("{} {object}", kind.to_uppercase()), String::new())),
        "column" => {
            let (table, column) = object.rsplit_once('.')?;
            Some((format!("TABLE {table}"), format!(" ({column})")))
        }
        _ => None,
    }
}

/// The privilege an ACL letter stands for.
fn acl_privilege(letter: char) -> Option<&'static str> {
    Some(match letter {
        'r' => "SELECT",
        'a' => "INSERT",
        'w' => "UPDATE",
        'd' => "DELETE",
        'D' => "TRUNCATE",
        'x' => "REFERENCES",
        't' => "TRIGGER",
        'X' => "EXECUTE",
        'U' => "USAGE",
        'C' => "CREATE",
        'm' => "MAINTAIN",
        _ => return None,
    })
}

/// `(grantee, privilege)` pairs of an ACL (`app=ar/owner, =X/owner`; an empty grantee is
/// everyone), without `role`'s own entry.
fn acl_pairs(acl: &str, role: &str) -> Vec<(String, &'static str)> {
    acl.split(", ")
        .filter_map(|item| item.split_once('='))
        .filter(|(grantee, _)| *grantee != role)
        .flat_map(|(grantee, rights)| {
            let who = if grantee.is_empty() { "PUBLIC".to_string() } else { grantee.to_string() };
            rights.split('/').next().unwrap_or("").chars().filter_map(acl_privilege).map(move |p| (who.clone(), p))
        })
        .collect()
}

/// `ALTER DEFAULT PRIVILEGES` statements taking a role's defaults (a `grants` object named
/// `default privileges <role> <schema or *> <r|S|f|T|n>`, its ACL as listed) from `was` to
/// `now`; an absent row is PostgreSQL's default (everyone may execute functions and use types
/// made anywhere).
pub fn default_privilege_changes(name: &str, was: Option<&str>, now: Option<&str>) -> Option<Vec<String>> {
    let mut words = name.strip_prefix("default privileges ")?.split(' ');
    let (role, schema, kind) = (words.next()?, words.next()?, words.next()?);
    let objects = match kind {
        "r" => "TABLES",
        "S" => "SEQUENCES",
        "f" => "FUNCTIONS",
        "T" => "TYPES",
        "n" => "SCHEMAS",
        _ => return None,
    };
    let implicit = match (schema, kind) {
        ("*", "f") => vec![("PUBLIC".to_string(), "EXECUTE")],
        ("*", "T") => vec![("PUBLIC".to_string(), "USAGE")],
        _ => Vec::new(),
    };
    let read = |acl: Option<&str>| acl.map_or_else(|| implicit.clone(), |acl| acl_pairs(acl, role));
    let (was, now) = (read(was), read(now));
    let scope = if schema == "*" { String::new() } else { format!(" IN SCHEMA {schema}") };
    let was: Vec<(&str, &str)> = was.iter().map(|(who, p)| (who.as_str(), *p)).collect();
    let now: Vec<(&str, &str)> = now.iter().map(|(who, p)| (who.as_str(), *p)).collect();
    Some(revokes_then_grants(&was, &now, |verb, preposition, who, privileges| {
        format!("ALTER DEFAULT PRIVILEGES FOR ROLE {role}{scope} {verb} {} ON {objects} {preposition} {who}", privileges.join(", "))
    }))
}

/// For each grantee, one statement revoking what `was` has and `now` has not, then one
/// granting what `now` adds, written by `statement(verb, preposition, grantee, privileges)`.
fn revokes_then_grants(was: &[(&str, &str)], now: &[(&str, &str)], statement: impl Fn(&str, &str, &str, &[&str]) -> String) -> Vec<String> {
    let mut sql = Vec::new();
    for (verb, pairs, other, preposition) in [("REVOKE", was, now, "FROM"), ("GRANT", now, was, "TO")] {
        let mut by_grantee: std::collections::BTreeMap<&str, Vec<&str>> = std::collections::BTreeMap::new();
        for (who, privilege) in pairs.iter().filter(|pair| !other.contains(pair)) {
            by_grantee.entry(who).or_default().push(privilege);
        }
        sql.extend(by_grantee.into_iter().map(|(who, privileges)| statement(verb, preposition, who, &privileges)));
    }
    sql
}

/// The privileges an object has when no grant was made: everyone may execute a routine;
/// nobody but the owner may use anything else.
pub fn default_privileges(name: &str) -> &'static str {
    if name.starts_with("function ") || name.starts_with("procedure ") {
        "public:EXECUTE"
    } else if name.starts_with("type ") {
        "public:USAGE"
    } else {
        ""
    }
}

/// `GRANT` and `REVOKE` statements taking the privileges listed in `was` to those in `now` on
/// the object a `grants` object names; `None` for what cannot be written (default privileges,
/// grant options).
pub fn grant_changes(name: &str, was: &str, now: &str) -> Option<Vec<String>> {
    if was.contains(" WITH GRANT OPTION") || now.contains(" WITH GRANT OPTION") {
        return None;
    }
    let (target, columns) = grant_target(name)?;
    let (was, now) = (grant_pairs(was), grant_pairs(now));
    let grantee = |g: &str| if g == "public" { "PUBLIC".to_string() } else { g.to_string() };
    Some(revokes_then_grants(&was, &now, |verb, preposition, who, privileges| {
        let listed: Vec<String> = privileges.iter().map(|p| format!("{p}{columns}")).collect();
        format!("{verb} {} ON {target} {preposition} {}", listed.join(", "), grantee(who))
    }))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn object(kind: &'static str, name: &str, props: &[(&'static str, &str)]) -> Object {
        let props = props.iter().map(|(k, v)| (*k, v.to_string())).collect::<BTreeMap<_, _>>();
        Object { kind, parent: None, name: name.into(), definition_key: None, props }
    }

    #[test]
    fn casts_operators_and_foreign_objects_are_written_from_their_properties() {
        let cast =
            object("cast", "(public.pair AS integer)", &[("function", "public.pair_sum(public.pair)"), ("context", "a"), ("method", "f")]);
        assert_eq!(
            create_cast(&cast).unwrap(),
            "CREATE CAST (public.pair AS integer) WITH FUNCTION public.pair_sum(public.pair) AS ASSIGNMENT"
        );
        let operator = object(
            "operator",
            "public.~~~(integer, integer)",
            &[("function", "public.far(integer,integer)"), ("negator", "public.!~~(integer,integer)")],
        );
        assert_eq!(
            create_operator(&operator).unwrap(),
            "CREATE OPERATOR public.~~~ (FUNCTION = public.far, LEFTARG = integer, RIGHTARG = integer, NEGATOR = OPERATOR(public.!~~))"
        );
        assert_eq!(drop_operator(&operator).unwrap(), "DROP OPERATOR public.~~~ (integer, integer)");
        let server = object("server", "s", &[("wrapper", "w"), ("options", "host=a, port=5432")]);
        assert_eq!(create_server(&server), "CREATE SERVER s FOREIGN DATA WRAPPER w OPTIONS (host 'a', port '5432')");
        assert_eq!(options_change("host=a, port=5432", "host=b, dbname=x").unwrap(), "OPTIONS (SET host 'b', ADD dbname 'x', DROP port)");
        assert_eq!(options_change("host=a", "host=a"), None);
        assert_eq!(
            grant_changes("table public.t", "app:SELECT, old:INSERT", "app:SELECT, app:INSERT, public:SELECT").unwrap(),
            [
                "REVOKE INSERT ON TABLE public.t FROM old",
                "GRANT INSERT ON TABLE public.t TO app",
                "GRANT SELECT ON TABLE public.t TO PUBLIC"
            ]
        );
        assert_eq!(grant_changes("column public.t.b", "", "app:UPDATE").unwrap(), ["GRANT UPDATE (b) ON TABLE public.t TO app"]);
        assert_eq!(grant_changes("default privileges app public r", "", "x:SELECT"), None);
        assert_eq!(
            default_privilege_changes("default privileges postgres * f", None, Some("postgres=X/postgres")).unwrap(),
            ["ALTER DEFAULT PRIVILEGES FOR ROLE postgres REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC"]
        );
        assert_eq!(
            default_privilege_changes("default privileges postgres app r", Some("app_reader=r/postgres"), Some("app_reader=ar/postgres"))
                .unwrap(),
            ["ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA app GRANT INSERT ON TABLES TO app_reader"]
        );
    }
}
