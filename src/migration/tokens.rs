//! Whether two versions of a migration differ only in whitespace (or line endings): the same
//! tokens, comments included, in the same order — string literals keep their exact contents.

use super::checksum::normalise;

/// True when `a` and `b` are the same SQL apart from whitespace between tokens.
pub fn same_tokens(a: &str, b: &str) -> bool {
    let (a, b) = (normalise(a), normalise(b));
    if a == b {
        return true;
    }
    match (pg_query::scan_tokens(&a), pg_query::scan_tokens(&b)) {
        (Ok(ta), Ok(tb)) => {
            ta.len() == tb.len()
                && ta.iter().zip(&tb).all(|(x, y)| {
                    let text = |s: &str, t: &pg_query::protobuf::ScanToken| s[t.start as usize..t.end as usize].trim_end().to_string();
                    text(&a, x) == text(&b, y)
                })
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_and_crlf_are_not_edits() {
        let original = "-- migrate:up\ncreate table t (a int);\n-- migrate:down\n";
        assert!(same_tokens(original, "-- migrate:up\r\ncreate table t (a int);\r\n-- migrate:down\r\n"));
        assert!(same_tokens(original, "-- migrate:up\n\ncreate   table t(\n  a int\n);\n\n-- migrate:down\n"));
        assert!(!same_tokens(original, "-- migrate:up\ncreate table t (a bigint);\n-- migrate:down\n"));
        assert!(!same_tokens("select 'a  b';", "select 'a b';"));
        assert!(!same_tokens("select 1; -- note", "select 1; -- other note"));
    }
}
