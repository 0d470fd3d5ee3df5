//! A plain `pg_dump`'s `COPY … FROM stdin` rows as `INSERT` statements, which a dbmate migration
//! can run. pg_dump's own `--inserts` reads rows through a cursor the planner sees, and the
//! planner inlines index expressions under pg_dump's empty `search_path` (an earthdistance
//! `ll_to_earth` GiST index then fails the dump); `COPY` does not plan, so rows are read that
//! way and written as inserts here.

use crate::sql::quote_literal;

/// `dump` with each table's `COPY … FROM stdin;` block (after its `TABLE DATA` header) written
/// as one `INSERT` per row, values as literals the column types read back
/// (`OVERRIDING SYSTEM VALUE` so identity columns keep their values).
pub fn copy_rows_as_inserts(dump: &str) -> String {
    let mut out = String::with_capacity(dump.len());
    let mut lines = dump.split_inclusive('\n');
    let mut after_data_header = false;
    while let Some(line) = lines.next() {
        let copy = after_data_header.then(|| copy_header(line.trim_end_matches('\n'))).flatten();
        if line.starts_with("-- Data for Name: ") {
            after_data_header = line.contains("; Type: TABLE DATA;");
        } else if !line.starts_with("--") && !line.trim().is_empty() {
            after_data_header = false;
        }
        let Some((table, columns)) = copy else {
            out.push_str(line);
            continue;
        };
        for row in lines.by_ref() {
            let row = row.strip_suffix('\n').unwrap_or(row);
            if row == "\\." {
                break;
            }
            let values: Vec<String> =
                row.split('\t').map(|field| if field == "\\N" { "NULL".into() } else { quote_literal(&unescape(field)) }).collect();
            out.push_str(&format!("INSERT INTO {table} {columns} OVERRIDING SYSTEM VALUE VALUES ({});\n", values.join(", ")));
        }
    }
    out
}

/// `COPY <table> (<columns>) FROM stdin;` as (table, `(columns)`).
fn copy_header(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("COPY ")?.strip_suffix(" FROM stdin;")?;
    let open = rest.find(" (")?;
    Some((&rest[..open], &rest[open + 1..]))
}

/// A field of COPY's text format with its backslash escapes resolved.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' || i + 1 == bytes.len() {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let next = bytes[i + 1];
        i += 2;
        match next {
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(0x0b),
            b'0'..=b'7' => {
                let mut value = u32::from(next - b'0');
                for _ in 0..2 {
                    match bytes.get(i) {
                        Some(d @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(value as u8);
            }
            b'x' if bytes.get(i).is_some_and(u8::is_ascii_hexdigit) => {
                let digits = bytes[i..].iter().take(2).take_while(|b| b.is_ascii_hexdigit()).count();
                let hex = std::str::from_utf8(&bytes[i..i + digits]).expect("hex digits are ASCII");
                out.push(u8::from_str_radix(hex, 16).expect("one or two hex digits"));
                i += digits;
            }
            other => out.push(other),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_blocks_become_inserts_and_the_rest_stays() {
        let dump = "--\n-- Data for Name: places; Type: TABLE DATA; Schema: public; Owner: -\n--\n\n\
            COPY public.places (id, name, tags, b) FROM stdin;\n\
            1\ta\\tb'c\\\\d\\ne\t{x,\"y z\"}\t\\\\x00ff\n\
            2\t\\N\t\\N\t\\101\\x42\n\
            \\.\n\n\
            CREATE FUNCTION f() RETURNS text AS $$\nCOPY t (a) FROM stdin;\n$$ LANGUAGE sql;\n";
        let out = copy_rows_as_inserts(dump);
        assert!(out.contains(
            "INSERT INTO public.places (id, name, tags, b) OVERRIDING SYSTEM VALUE VALUES ('1', E'a\tb''c\\\\d\ne', '{x,\"y z\"}', E'\\\\x00ff');\n"
        ), "{out}");
        assert!(out.contains("VALUES ('2', NULL, NULL, 'AB');\n"), "{out}");
        assert!(!out.contains("\\.\n"), "{out}");
        assert!(out.contains("$$\nCOPY t (a) FROM stdin;\n$$"), "a COPY outside a data section stays: {out}");
    }
}
