//! The properties an object is compared by, as a closed set, and their values as read once
//! from the catalog: the text every compare, fingerprint and message uses, and for the values
//! the planner takes apart (parents, enum labels, domain checks, options, sequence options) the
//! parts as read, so no one splits the text again.

use std::fmt;

/// A property of a schema object. Its text (`partition key`) is what paths and output show;
/// properties sort by that text, so output keeps the order it always had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prop {
    /// What a publication publishes (`insert,update`).
    Actions,
    /// Whether a publication is for all tables.
    AllTables,
    /// A domain's base type.
    BaseType,
    /// A collation's `lc_collate` (or ICU locale).
    Collate,
    /// A column's collation.
    Collation,
    /// The command a policy applies to.
    Command,
    /// `COMMENT ON`.
    Comment,
    /// An operator's commutator.
    Commutator,
    /// A domain's named CHECKs (items: `CONSTRAINT <name> CHECK (…)`).
    Constraints,
    /// A cast's context (`e`, `a`, `i`).
    Context,
    /// A collation's `lc_ctype`.
    Ctype,
    /// A column's or domain's default.
    Default,
    /// The definition PostgreSQL prints (`pg_get_*def`).
    Definition,
    /// Whether a collation is deterministic.
    Deterministic,
    /// A trigger's, rule's or event trigger's firing state.
    Enabled,
    /// An event trigger's event.
    Event,
    /// A table's `FORCE ROW LEVEL SECURITY`.
    ForceRowLevelSecurity,
    /// A foreign table's options (options: `name=value`).
    ForeignOptions,
    /// A cast's, operator's or event trigger's function.
    Function,
    /// A generated column's expression.
    Generated,
    /// A foreign-data wrapper's handler.
    Handler,
    /// An identity column's generation and sequence options.
    Identity,
    /// A table's parents, in order (items).
    Inherits,
    /// An enum's labels, quoted, in order (items).
    Labels,
    /// How a cast converts (`f`, `i`, `b`).
    Method,
    /// Whether a policy is permissive.
    Mode,
    /// An operator's negator.
    Negator,
    /// A domain's `NOT NULL`.
    NotNull,
    /// The name of a column's NOT NULL constraint (PostgreSQL 18).
    NotNullName,
    /// Whether a column is nullable.
    Nullability,
    /// Storage options of a relation, or generic options of a wrapper or server (options).
    Options,
    /// The column a sequence belongs to.
    OwnedBy,
    /// Who owns an object.
    Owner,
    /// A sequence's type and options.
    Parameters,
    /// A partition's bound.
    PartitionBound,
    /// A partitioned table's key.
    PartitionKey,
    /// Whether a table is partitioned.
    Partitioned,
    /// `UNLOGGED`.
    Persistence,
    /// A column's position among live columns.
    Position,
    /// Who may do what.
    Privileges,
    /// A collation's provider.
    Provider,
    /// A table's replica identity.
    ReplicaIdentity,
    /// A routine's result.
    Result,
    /// The roles a policy applies to.
    Roles,
    /// A table's `ROW LEVEL SECURITY`.
    RowLevelSecurity,
    /// An extension's schema.
    Schema,
    /// A foreign table's server.
    Server,
    /// A range type's subtype.
    Subtype,
    /// A publication's tables.
    Tables,
    /// An event trigger's command tags.
    Tags,
    /// A column's type, or a foreign server's.
    Type,
    /// A policy's `USING`.
    Using,
    /// An index's validity.
    Validity,
    /// A foreign-data wrapper's validator.
    Validator,
    /// An extension's or foreign server's version.
    Version,
    /// A policy's `WITH CHECK`.
    WithCheck,
    /// A foreign server's wrapper.
    Wrapper,
}

impl Prop {
    /// How paths and output name it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Prop::Actions => "actions",
            Prop::AllTables => "all tables",
            Prop::BaseType => "base type",
            Prop::Collate => "collate",
            Prop::Collation => "collation",
            Prop::Command => "command",
            Prop::Comment => "comment",
            Prop::Commutator => "commutator",
            Prop::Constraints => "constraints",
            Prop::Context => "context",
            Prop::Ctype => "ctype",
            Prop::Default => "default",
            Prop::Definition => "definition",
            Prop::Deterministic => "deterministic",
            Prop::Enabled => "enabled",
            Prop::Event => "event",
            Prop::ForceRowLevelSecurity => "force row level security",
            Prop::ForeignOptions => "foreign options",
            Prop::Function => "function",
            Prop::Generated => "generated",
            Prop::Handler => "handler",
            Prop::Identity => "identity",
            Prop::Inherits => "inherits",
            Prop::Labels => "labels",
            Prop::Method => "method",
            Prop::Mode => "mode",
            Prop::Negator => "negator",
            Prop::NotNull => "not null",
            Prop::NotNullName => "not null name",
            Prop::Nullability => "nullability",
            Prop::Options => "options",
            Prop::OwnedBy => "owned by",
            Prop::Owner => "owner",
            Prop::Parameters => "parameters",
            Prop::PartitionBound => "partition bound",
            Prop::PartitionKey => "partition key",
            Prop::Partitioned => "partitioned",
            Prop::Persistence => "persistence",
            Prop::Position => "position",
            Prop::Privileges => "privileges",
            Prop::Provider => "provider",
            Prop::ReplicaIdentity => "replica identity",
            Prop::Result => "result",
            Prop::Roles => "roles",
            Prop::RowLevelSecurity => "row level security",
            Prop::Schema => "schema",
            Prop::Server => "server",
            Prop::Subtype => "subtype",
            Prop::Tables => "tables",
            Prop::Tags => "tags",
            Prop::Type => "type",
            Prop::Using => "using",
            Prop::Validity => "validity",
            Prop::Validator => "validator",
            Prop::Version => "version",
            Prop::WithCheck => "with check",
            Prop::Wrapper => "wrapper",
        }
    }

    /// Whether it records how a schema was built rather than what it is: a column's position
    /// among live columns, a NOT NULL constraint's name (like an auto-named constraint's, it
    /// keeps a renamed table's old name). Cosmetic, and left out of fingerprints.
    pub fn follows_history(self) -> bool {
        matches!(self, Prop::Position | Prop::NotNullName)
    }
}

impl PartialOrd for Prop {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Prop {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Display for Prop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Prop {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A sequence's options as `pg_sequence` holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceOptions {
    /// `START WITH`.
    pub start: i64,
    /// `INCREMENT BY`.
    pub increment: i64,
    /// `MINVALUE`.
    pub min: i64,
    /// `MAXVALUE`.
    pub max: i64,
    /// `CACHE`.
    pub cache: i64,
    /// `CYCLE`.
    pub cycle: bool,
}

/// How an identity column is generated, and its sequence's options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentitySpec {
    /// `GENERATED ALWAYS` (else `BY DEFAULT`).
    pub always: bool,
    /// Its sequence's options.
    pub sequence: SequenceOptions,
}

impl IdentitySpec {
    /// `GENERATED ALWAYS` or `GENERATED BY DEFAULT`.
    pub fn generated(&self) -> &'static str {
        if self.always { "GENERATED ALWAYS" } else { "GENERATED BY DEFAULT" }
    }
}

/// What a value holds beside its text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Parts {
    /// Nothing: the text is the value.
    None,
    /// Items in order.
    Items(Vec<String>),
    /// `name=value` options, in the catalog's order.
    Options(Vec<(String, String)>),
    /// A sequence's type and options.
    Sequence(String, SequenceOptions),
    /// An identity column's generation and options.
    Identity(IdentitySpec),
}

/// A property's value: its text (what is compared and shown) and, for values the planner
/// takes apart, the parts as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    text: String,
    parts: Parts,
}

impl Value {
    /// A value that is its text.
    pub fn text(text: impl Into<String>) -> Value {
        Value { text: text.into(), parts: Parts::None }
    }

    /// Items in order, shown joined by `separator`.
    pub fn items(items: Vec<String>, separator: &str) -> Value {
        Value { text: items.join(separator), parts: Parts::Items(items) }
    }

    /// `name=value` options in order, shown as `a=1, b=2`.
    pub fn options(options: Vec<(String, String)>) -> Value {
        let text = options.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ");
        Value { text, parts: Parts::Options(options) }
    }

    /// A sequence of type `data_type`, shown as `bigint start 1 increment 1 … cycle false`.
    pub fn sequence(data_type: &str, o: SequenceOptions) -> Value {
        let text = format!(
            "{data_type} start {} increment {} min {} max {} cache {} cycle {}",
            o.start, o.increment, o.min, o.max, o.cache, o.cycle
        );
        Value { text, parts: Parts::Sequence(data_type.to_string(), o) }
    }

    /// An identity, shown as `always (increment start min max cache cycle)`.
    pub fn identity(spec: IdentitySpec) -> Value {
        let o = &spec.sequence;
        let text = format!(
            "{} ({} {} {} {} {} {})",
            if spec.always { "always" } else { "by default" },
            o.increment,
            o.start,
            o.min,
            o.max,
            o.cache,
            o.cycle
        );
        Value { text, parts: Parts::Identity(spec) }
    }

    /// The text compared and shown.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The items of a list value (none for another).
    pub fn as_items(&self) -> &[String] {
        match &self.parts {
            Parts::Items(items) => items,
            _ => &[],
        }
    }

    /// The options of an options value (none for another).
    pub fn as_options(&self) -> &[(String, String)] {
        match &self.parts {
            Parts::Options(options) => options,
            _ => &[],
        }
    }

    /// A sequence value's type and options.
    pub fn as_sequence(&self) -> Option<(&str, &SequenceOptions)> {
        match &self.parts {
            Parts::Sequence(data_type, options) => Some((data_type, options)),
            _ => None,
        }
    }

    /// An identity value's generation and options.
    pub fn as_identity(&self) -> Option<&IdentitySpec> {
        match &self.parts {
            Parts::Identity(spec) => Some(spec),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn props_sort_by_their_text() {
        let mut props = vec![Prop::WithCheck, Prop::Type, Prop::Actions, Prop::NotNullName, Prop::NotNull];
        props.sort();
        assert_eq!(props, [Prop::Actions, Prop::NotNull, Prop::NotNullName, Prop::Type, Prop::WithCheck]);
    }

    #[test]
    fn values_keep_their_parts_and_show_the_catalog_text() {
        let parents = Value::items(vec!["public.a".into(), r#"public."b, c""#.into()], ", ");
        assert_eq!(parents.as_str(), r#"public.a, public."b, c""#);
        assert_eq!(parents.as_items().len(), 2, "an item holding the separator stays one item");
        let options = Value::options(vec![("fillfactor".into(), "70".into()), ("a".into(), "x, y=z".into())]);
        assert_eq!(options.as_str(), "fillfactor=70, a=x, y=z");
        assert_eq!(options.as_options()[1], ("a".to_string(), "x, y=z".to_string()));
        let o = SequenceOptions { start: 5, increment: 2, min: 1, max: 100, cache: 1, cycle: true };
        let sequence = Value::sequence("integer", o.clone());
        assert_eq!(sequence.as_str(), "integer start 5 increment 2 min 1 max 100 cache 1 cycle true");
        let identity = Value::identity(IdentitySpec { always: false, sequence: o });
        assert_eq!(identity.as_str(), "by default (2 5 1 100 1 true)");
        assert_eq!(identity.as_identity().map(IdentitySpec::generated), Some("GENERATED BY DEFAULT"));
        assert!(Value::text("x").as_items().is_empty() && Value::text("x").as_sequence().is_none());
    }
}
