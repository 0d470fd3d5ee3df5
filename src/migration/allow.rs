//! `-- squashmate:allow RULE reason` comments: the line(s) right above a statement saying that
//! a hazard (or a check's data loss) there is intended, and why.

use std::sync::LazyLock;

use regex::Regex;

/// `-- squashmate:allow RULE reason`
static ALLOW: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*--\s*squashmate:allow\s+([a-z-]+)\s*(.*?)\s*$").expect("static regex"));

/// The `(rule, reason)` of the allow comments on the comment lines right above `offset` in `text`.
pub fn allow_comments(text: &str, offset: usize) -> Vec<(String, String)> {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    text[..line_start]
        .lines()
        .rev()
        .take_while(|line| line.trim_start().starts_with("--"))
        .filter_map(|line| ALLOW.captures(line).map(|c| (c[1].to_string(), c[2].to_string())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_comment_lines_right_above_count() {
        let text = "-- squashmate:allow table-rewrite far\nselect 1;\n-- note\n-- squashmate:allow data-loss the rows moved in 2023\ndrop table t;";
        let at = text.find("drop").unwrap();
        assert_eq!(allow_comments(text, at), [("data-loss".to_string(), "the rows moved in 2023".to_string())]);
        assert!(allow_comments(text, text.find("select").unwrap()).iter().any(|(r, _)| r == "table-rewrite"));
    }
}
