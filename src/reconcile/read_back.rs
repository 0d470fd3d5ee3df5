//! Definitions as PostgreSQL prints them, made to read back to the same text. The printed form
//! of an implicit coercion is not always what parsing it again gives: `status IN ('a', 'b')` on a
//! varchar column prints as `(status)::text = ANY ((ARRAY['a'::character varying, …])::text[])`,
//! and that cast, written out, is pushed into each element (`ARRAY[('a'::character
//! varying)::text, …]`): a plan written from the printed text would never equal its target.

/// `definition` with each `ANY ((ARRAY[…])::type[])` / `ALL (…)` written `ANY (ARRAY[…])`: the
/// cast was PostgreSQL's own (an explicit one would have been pushed into the elements), so the
/// parser adds it again, and the definition reads back as printed.
pub fn without_printed_array_casts(definition: &str) -> String {
    let mut out = String::with_capacity(definition.len());
    let mut rest = definition;
    while let Some(at) = next_quantified_array(rest) {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        // from = "(ARRAY[…])::type[])…": the array ends at its `]`, the cast at the `)` closing ANY's `(`.
        let array_end = closing(from, "(ARRAY[".len(), '[', ']').map(|end| end + 1);
        let cast = array_end.filter(|&end| from[end..].starts_with(")::"));
        let cast_end = cast.and_then(|end| closing(&from[end + 3..], 0, '(', ')').map(|c| end + 3 + c));
        match (array_end, cast_end) {
            (Some(end), Some(cast_end)) if from[..cast_end].trim_end().ends_with("[]") => {
                out.push_str(&from[1..end]);
                rest = &from[cast_end..];
            }
            _ => {
                out.push_str(&from[..1]);
                rest = &from[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Where the next `(ARRAY[` right after `ANY (` or `ALL (` starts (outside string literals).
fn next_quantified_array(text: &str) -> Option<usize> {
    let mut quoted = false;
    for (at, c) in text.char_indices() {
        if c == '\'' {
            quoted = !quoted;
        }
        if !quoted && c == '(' && text[at..].starts_with("(ARRAY[") && (text[..at].ends_with("ANY (") || text[..at].ends_with("ALL (")) {
            return Some(at);
        }
    }
    None
}

/// The byte offset of the `close` that ends the bracket opened before `text[from..]` (also
/// for key lists in `build`), skipping
/// nested pairs and string literals.
pub(super) fn closing(text: &str, from: usize, open: char, close: char) -> Option<usize> {
    let (mut depth, mut quoted) = (0usize, false);
    for (at, c) in text.char_indices().skip_while(|(at, _)| *at < from) {
        match c {
            '\'' => quoted = !quoted,
            _ if quoted => {}
            c if c == open => depth += 1,
            c if c == close && depth == 0 => return Some(at),
            c if c == close => depth -= 1,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_printed_array_cast_is_left_to_the_parser() {
        assert_eq!(
            without_printed_array_casts(
                "CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'a]'')'::character varying])::text[])))"
            ),
            "CHECK (((status)::text = ANY (ARRAY['pending'::character varying, 'a]'')'::character varying])))"
        );
        assert_eq!(without_printed_array_casts("CHECK ((n = ANY ((ARRAY[1, 2])::numeric[])))"), "CHECK ((n = ANY (ARRAY[1, 2])))");
        assert_eq!(
            without_printed_array_casts("CHECK ((c <> ALL ((ARRAY['x'::character varying(3)])::character varying(5)[])))"),
            "CHECK ((c <> ALL (ARRAY['x'::character varying(3)])))"
        );
        for unchanged in [
            "CHECK (((status)::text = ANY (ARRAY[('pending'::character varying)::text])))",
            "CHECK ((t = ANY (ARRAY['a'::text, 'b'::text])))",
            "CHECK ((a = ANY ((ARRAY[1, 2])::integer[] || b)))",
            "CHECK ((note <> 'ANY ((ARRAY[1])::int[])'::text))",
        ] {
            assert_eq!(without_printed_array_casts(unchanged), unchanged);
        }
    }
}
