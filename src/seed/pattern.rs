//! A text that matches a CHECK's regular expression (`col ~ '^[A-Z]{3}-\d+$'`), different for
//! each row number where the pattern leaves room: sample rows for tables whose codes follow a
//! pattern. Only what a pattern fixes is generated; anything else is left to PostgreSQL to refuse.

use regex_syntax::hir::{Class, Hir, HirKind};

/// Characters tried first for a class, so samples stay printable and readable.
const PREFERRED: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.@ ";

/// A text matching `pattern` (PostgreSQL's `~`, or `~*` when `case_insensitive`) for row `n`:
/// each class the pattern repeats takes one "digit" of `n`, so rows differ where they can.
/// `None` when the pattern is not one we can read.
pub fn matching_text(pattern: &str, case_insensitive: bool, n: u32) -> Option<String> {
    let hir =
        regex_syntax::ParserBuilder::new().case_insensitive(case_insensitive).unicode(false).utf8(false).build().parse(pattern).ok()?;
    let mut out = String::new();
    let mut digits = u64::from(n);
    write(&hir, &mut out, &mut digits)?;
    Some(out)
}

fn write(hir: &Hir, out: &mut String, digits: &mut u64) -> Option<()> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(literal) => out.push_str(std::str::from_utf8(&literal.0).ok()?),
        HirKind::Class(class) => {
            let choices = class_choices(class);
            if choices.is_empty() {
                return None;
            }
            let at = (*digits % choices.len() as u64) as usize;
            *digits /= choices.len() as u64;
            out.push(choices[at]);
        }
        HirKind::Repetition(repetition) => {
            // At least once where the pattern allows more (`\d+`), so a class has a digit to take.
            let times = repetition.min.max(repetition.max.map_or(1, |max| max.min(1)));
            for _ in 0..times {
                write(&repetition.sub, out, digits)?;
            }
        }
        HirKind::Capture(capture) => write(&capture.sub, out, digits)?,
        HirKind::Concat(items) => {
            for item in items {
                write(item, out, digits)?;
            }
        }
        HirKind::Alternation(items) => {
            let at = (*digits % items.len() as u64) as usize;
            *digits /= items.len() as u64;
            write(&items[at], out, digits)?;
        }
    }
    Some(())
}

/// The characters a class allows: the preferred ones it holds, else its first character.
fn class_choices(class: &Class) -> Vec<char> {
    let contains = |c: char| match class {
        Class::Unicode(u) => u.ranges().iter().any(|r| r.start() <= c && c <= r.end()),
        Class::Bytes(b) => c.is_ascii() && b.ranges().iter().any(|r| r.start() <= c as u8 && c as u8 <= r.end()),
    };
    let preferred: Vec<char> = PREFERRED.chars().filter(|c| contains(*c)).collect();
    if !preferred.is_empty() {
        return preferred;
    }
    let first = match class {
        Class::Unicode(u) => u.ranges().first().map(|r| r.start()),
        Class::Bytes(b) => b.ranges().first().map(|r| char::from(r.start())).filter(char::is_ascii),
    };
    first.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> bool {
        regex::Regex::new(pattern).unwrap().is_match(text)
    }

    #[test]
    fn texts_match_their_patterns_and_differ_by_row() {
        for pattern in [r"^[A-Z]{3}$", r"^[A-Z]{2}-\d{4}$", r"^[a-z0-9_]+$", r"^[^@]+@[^@]+\.[a-z]{2,}$", r"^(draft|live)_\d+$", r"^[A-Z]"]
        {
            let texts: Vec<String> = (1..=5).map(|n| matching_text(pattern, false, n).unwrap()).collect();
            for text in &texts {
                assert!(matches(pattern, text), "{pattern}: {text}");
            }
            if pattern != r"^[A-Z]" {
                let mut unique = texts.clone();
                unique.sort();
                unique.dedup();
                assert_eq!(unique.len(), texts.len(), "{pattern}: {texts:?}");
            }
        }
        assert_eq!(matching_text(r"^[A-Z]{3}$", false, 0).as_deref(), Some("AAA"));
    }

    #[test]
    fn case_insensitive_patterns_and_unreadable_ones() {
        let text = matching_text("^abc$", true, 1).unwrap();
        assert_eq!(text.to_lowercase(), "abc");
        assert_eq!(matching_text("(unclosed", false, 1), None);
    }
}
