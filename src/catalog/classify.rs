//! How much a difference matters: `destructive` (data can be lost), `needs-confirm` (may fail
//! or lock, or changes behaviour), `safe`, `cosmetic` (order, names, whitespace).

use super::kind::Kind;
use super::model::Object;
use super::prop::Prop;

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
pub fn added(object: &Object) -> Class {
    match object.kind {
        Kind::Constraint | Kind::Policy | Kind::Trigger | Kind::Rule => Class::NeedsConfirm,
        Kind::Column if object.prop(Prop::Nullability) == "not null" && object.prop(Prop::Default).is_empty() => Class::NeedsConfirm,
        _ => Class::Safe,
    }
}

/// Property `prop` going from `old`'s to `new`'s (objects of one kind).
pub fn changed(prop: Prop, old: &Object, new: &Object) -> Class {
    let (left, right) = (old.prop(prop), new.prop(prop));
    match prop {
        p if p.follows_history() => Class::Cosmetic,
        Prop::Comment => Class::Safe,
        Prop::Nullability if right == "nullable" => Class::Safe,
        Prop::Type => type_change(left, right),
        Prop::Labels => label_change(old.items(prop), new.items(prop)),
        Prop::Definition if new.kind.is_routine() => {
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
fn label_change(l: &[String], r: &[String]) -> Class {
    if l.iter().any(|x| !r.contains(x)) {
        return Class::Destructive;
    }
    let kept = r.iter().filter(|x| l.contains(x));
    if kept.eq(l.iter()) { Class::Safe } else { Class::NeedsConfirm }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Value;

    /// `prop` of an object of `kind` going from `left` to `right` (enum labels as items).
    fn change(kind: Kind, prop: Prop, left: &str, right: &str) -> Class {
        let object = |text: &str| {
            let value = match prop {
                Prop::Labels => Value::items(text.split(", ").map(String::from).collect(), ", "),
                _ => Value::text(text),
            };
            Object { kind, parent: None, name: "x".into(), definition_key: None, props: [(prop, value)].into() }
        };
        changed(prop, &object(left), &object(right))
    }

    #[test]
    fn classes() {
        assert_eq!(change(Kind::Column, Prop::Type, "character varying(100)", "character varying(200)"), Class::Safe);
        assert_eq!(change(Kind::Column, Prop::Type, "character varying(200)", "character varying(100)"), Class::Destructive);
        assert_eq!(change(Kind::Column, Prop::Type, "integer", "bigint"), Class::Safe);
        assert_eq!(change(Kind::Column, Prop::Type, "bigint", "integer"), Class::Destructive);
        assert_eq!(change(Kind::Column, Prop::Type, "integer", "text"), Class::NeedsConfirm);
        assert_eq!(change(Kind::Column, Prop::Nullability, "nullable", "not null"), Class::NeedsConfirm);
        assert_eq!(change(Kind::Column, Prop::Nullability, "not null", "nullable"), Class::Safe);
        assert_eq!(change(Kind::Enum, Prop::Labels, "'a', 'b'", "'a', 'b', 'c'"), Class::Safe);
        assert_eq!(change(Kind::Enum, Prop::Labels, "'a', 'b'", "'b', 'a'"), Class::NeedsConfirm);
        assert_eq!(change(Kind::Enum, Prop::Labels, "'a', 'b'", "'a'"), Class::Destructive);
        assert_eq!(change(Kind::Enum, Prop::Labels, "'a, b'", "'a', ' b'"), Class::Destructive, "a label holding a comma is one label");
        assert_eq!(change(Kind::Function, Prop::Definition, "begin\n  return 1;\nend", "begin return 1; end"), Class::Cosmetic);
        assert_eq!(change(Kind::Column, Prop::Position, "1", "2"), Class::Cosmetic);
    }
}
