//! How much a difference matters: `destructive` (data can be lost), `needs-confirm` (may fail
//! or lock, or changes behaviour), `safe`, `cosmetic` (order, names, whitespace).

use super::kind::Kind;

/// The class of a difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Data can be lost going from left to right.
    Destructive,
    /// May fail, lock, or change behaviour.
    NeedsConfirm,
    /// Adds or relaxes without risk.
    Safe,
    /// Names, order, whitespace.
    Cosmetic,
}

impl Class {
    /// Every class, most serious first.
    pub const ALL: [Class; 4] = [Class::Destructive, Class::NeedsConfirm, Class::Safe, Class::Cosmetic];

    /// The name used in output and `--ignore`.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Destructive => "destructive",
            Class::NeedsConfirm => "needs-confirm",
            Class::Safe => "safe",
            Class::Cosmetic => "cosmetic",
        }
    }
}

/// An object present on the left only (going left → right drops it).
pub fn removed(kind: Kind) -> Class {
    match kind {
        Kind::Table | Kind::Column | Kind::Sequence | Kind::Schema | Kind::MaterializedView | Kind::ForeignTable => Class::Destructive,
        _ => Class::NeedsConfirm,
    }
}

/// An object present on the right only.
pub fn added(kind: Kind, props: &std::collections::BTreeMap<&'static str, String>) -> Class {
    match kind {
        Kind::Constraint | Kind::Policy | Kind::Trigger | Kind::Rule => Class::NeedsConfirm,
        Kind::Column if props.get("nullability").is_some_and(|n| n == "not null") && !props.contains_key("default") => Class::NeedsConfirm,
        _ => Class::Safe,
    }
}

/// Whether a property records how a schema was built rather than what it is: a column's
/// position among live columns, a NOT NULL constraint's name (like an auto-named constraint's,
/// it keeps a renamed table's old name). Cosmetic, and left out of fingerprints.
pub fn follows_history(prop: &str) -> bool {
    matches!(prop, "position" | "not null name")
}

/// A property that differs.
pub fn changed(kind: Kind, prop: &str, left: &str, right: &str) -> Class {
    match prop {
        p if follows_history(p) => Class::Cosmetic,
        "comment" => Class::Safe,
        "nullability" if right == "nullable" => Class::Safe,
        "type" => type_change(left, right),
        "labels" => label_change(left, right),
        "definition" if kind.is_routine() => {
            if collapse(left) == collapse(right) {
                Class::Cosmetic
            } else {
                Class::NeedsConfirm
            }
        }
        _ => Class::NeedsConfirm,
    }
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Widening is safe, narrowing destructive, anything else needs a look.
fn type_change(left: &str, right: &str) -> Class {
    let rank = |t: &str| match t {
        "smallint" => Some(1),
        "integer" => Some(2),
        "bigint" => Some(3),
        "numeric" => Some(4),
        _ => None,
    };
    if let (Some(l), Some(r)) = (rank(left), rank(right)) {
        return if r > l { Class::Safe } else { Class::Destructive };
    }
    let length = |t: &str| -> Option<Option<u32>> {
        let rest = t.strip_prefix("character varying").or_else(|| t.strip_prefix("character")).or_else(|| (t == "text").then_some(""))?;
        Some(rest.trim_start_matches('(').trim_end_matches(')').parse().ok())
    };
    match (length(left), length(right)) {
        (Some(_), Some(None)) => Class::Safe,
        (Some(None), Some(Some(_))) => Class::Destructive,
        (Some(Some(l)), Some(Some(r))) if r >= l => Class::Safe,
        (Some(Some(_)), Some(Some(_))) => Class::Destructive,
        _ => Class::NeedsConfirm,
    }
}

/// Enum labels: only appended/inserted labels are safe; a removed label loses data; a reorder changes comparisons.
fn label_change(left: &str, right: &str) -> Class {
    let l: Vec<&str> = left.split(", ").collect();
    let r: Vec<&str> = right.split(", ").collect();
    if l.iter().any(|x| !r.contains(x)) {
        return Class::Destructive;
    }
    let kept: Vec<&&str> = r.iter().filter(|x| l.contains(x)).collect();
    if kept.iter().map(|x| **x).eq(l.iter().copied()) { Class::Safe } else { Class::NeedsConfirm }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(changed(Kind::Column, "type", "character varying(100)", "character varying(200)"), Class::Safe);
        assert_eq!(changed(Kind::Column, "type", "character varying(200)", "character varying(100)"), Class::Destructive);
        assert_eq!(changed(Kind::Column, "type", "integer", "bigint"), Class::Safe);
        assert_eq!(changed(Kind::Column, "type", "bigint", "integer"), Class::Destructive);
        assert_eq!(changed(Kind::Column, "type", "integer", "text"), Class::NeedsConfirm);
        assert_eq!(changed(Kind::Column, "nullability", "nullable", "not null"), Class::NeedsConfirm);
        assert_eq!(changed(Kind::Column, "nullability", "not null", "nullable"), Class::Safe);
        assert_eq!(changed(Kind::Enum, "labels", "'a', 'b'", "'a', 'b', 'c'"), Class::Safe);
        assert_eq!(changed(Kind::Enum, "labels", "'a', 'b'", "'b', 'a'"), Class::NeedsConfirm);
        assert_eq!(changed(Kind::Enum, "labels", "'a', 'b'", "'a'"), Class::Destructive);
        assert_eq!(changed(Kind::Function, "definition", "begin\n  return 1;\nend", "begin return 1; end"), Class::Cosmetic);
    }
}
