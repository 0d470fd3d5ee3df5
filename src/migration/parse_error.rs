//! Where pg_query's parser failed inside a statement. The `pg_query` crate drops libpg_query's
//! cursor position, so this asks libpg_query (linked by that crate) for it directly.

use std::ffi::{CStr, CString, c_char, c_int};

#[repr(C)]
struct PgQueryError {
    message: *mut c_char,
    funcname: *mut c_char,
    filename: *mut c_char,
    lineno: c_int,
    cursorpos: c_int,
    context: *mut c_char,
}

#[repr(C)]
struct PgQueryParseResult {
    parse_tree: *mut c_char,
    stderr_buffer: *mut c_char,
    error: *mut PgQueryError,
}

unsafe extern "C" {
    fn pg_query_parse(input: *const c_char) -> PgQueryParseResult;
    fn pg_query_free_parse_result(result: PgQueryParseResult);
}

/// A parser error: PostgreSQL's message and the 1-based character position it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The parser's message, e.g. `syntax error at or near "TABLEE"`.
    pub message: String,
    /// 1-based character position in the statement (0 when the parser gave none).
    pub cursor: usize,
}

/// Parses `sql` and returns the parser's error, if any.
pub fn parse_error(sql: &str) -> Option<ParseError> {
    let Ok(input) = CString::new(sql) else {
        let cursor = sql.find('\0').map_or(0, |b| sql[..b].chars().count() + 1);
        return Some(ParseError { message: "statement contains a NUL character".into(), cursor });
    };
    // SAFETY: `input` is a valid NUL-terminated string that outlives the call; the result is
    // read before it is freed exactly once with libpg_query's own free function.
    unsafe {
        let result = pg_query_parse(input.as_ptr());
        let error = result.error.as_ref().map(|e| ParseError {
            message: CStr::from_ptr(e.message).to_string_lossy().into_owned(),
            cursor: usize::try_from(e.cursorpos).unwrap_or(0),
        });
        pg_query_free_parse_result(result);
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_the_cursor_position() {
        let error = parse_error("CREATE TABLEE t (a int)").expect("invalid SQL");
        assert_eq!(error.message, "syntax error at or near \"TABLEE\"");
        assert_eq!(error.cursor, 8);
        assert_eq!(parse_error("select 1"), None);
    }
}
