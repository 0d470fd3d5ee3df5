//! What a catalog object is, as a closed set: every `match` over it is checked by the compiler,
//! so a kind the reader learns is a kind the planner, the judge and the classifier must handle.

use std::fmt;

/// The kind of a schema object. Its text (`materialized view`) is what paths and output show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A schema (`CREATE SCHEMA`).
    Schema,
    /// An installed extension.
    Extension,
    /// A table, partitioned or not, a partition or an inheriting table.
    Table,
    /// A view.
    View,
    /// A materialized view.
    MaterializedView,
    /// A foreign table.
    ForeignTable,
    /// A composite type (its attributes are columns).
    CompositeType,
    /// A column of a relation, or an attribute of a composite type.
    Column,
    /// A table constraint (key, check, foreign key, exclusion).
    Constraint,
    /// An index that backs no constraint.
    Index,
    /// A table trigger.
    Trigger,
    /// A row-level security policy.
    Policy,
    /// A rewrite rule.
    Rule,
    /// A sequence, standalone or owned by a column.
    Sequence,
    /// A function.
    Function,
    /// A procedure.
    Procedure,
    /// An aggregate function (its definition the `CREATE AGGREGATE` that makes it).
    Aggregate,
    /// An enum type.
    Enum,
    /// A domain.
    Domain,
    /// A range type.
    RangeType,
    /// A logical replication publication.
    Publication,
    /// An event trigger.
    EventTrigger,
    /// Extended statistics.
    Statistics,
    /// A collation.
    Collation,
    /// A cast.
    Cast,
    /// An operator.
    Operator,
    /// A foreign-data wrapper.
    ForeignDataWrapper,
    /// A foreign server.
    Server,
    /// The privileges on an object, or default privileges (`default privileges …`).
    Grants,
    /// Who owns an object, where that is not the reading role.
    Owner,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 30] = [
        Kind::Schema,
        Kind::Extension,
        Kind::Table,
        Kind::View,
        Kind::MaterializedView,
        Kind::ForeignTable,
        Kind::CompositeType,
        Kind::Column,
        Kind::Constraint,
        Kind::Index,
        Kind::Trigger,
        Kind::Policy,
        Kind::Rule,
        Kind::Sequence,
        Kind::Function,
        Kind::Procedure,
        Kind::Aggregate,
        Kind::Enum,
        Kind::Domain,
        Kind::RangeType,
        Kind::Publication,
        Kind::EventTrigger,
        Kind::Statistics,
        Kind::Collation,
        Kind::Cast,
        Kind::Operator,
        Kind::ForeignDataWrapper,
        Kind::Server,
        Kind::Grants,
        Kind::Owner,
    ];

    /// The kind's words, as paths and output show them.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Schema => "schema",
            Kind::Extension => "extension",
            Kind::Table => "table",
            Kind::View => "view",
            Kind::MaterializedView => "materialized view",
            Kind::ForeignTable => "foreign table",
            Kind::CompositeType => "composite type",
            Kind::Column => "column",
            Kind::Constraint => "constraint",
            Kind::Index => "index",
            Kind::Trigger => "trigger",
            Kind::Policy => "policy",
            Kind::Rule => "rule",
            Kind::Sequence => "sequence",
            Kind::Function => "function",
            Kind::Procedure => "procedure",
            Kind::Aggregate => "aggregate",
            Kind::Enum => "enum",
            Kind::Domain => "domain",
            Kind::RangeType => "range type",
            Kind::Publication => "publication",
            Kind::EventTrigger => "event trigger",
            Kind::Statistics => "statistics",
            Kind::Collation => "collation",
            Kind::Cast => "cast",
            Kind::Operator => "operator",
            Kind::ForeignDataWrapper => "foreign data wrapper",
            Kind::Server => "server",
            Kind::Grants => "grants",
            Kind::Owner => "owner",
        }
    }

    /// A relation: something with columns that a view may select from.
    pub fn is_relation(self) -> bool {
        matches!(self, Kind::Table | Kind::View | Kind::MaterializedView | Kind::ForeignTable)
    }

    /// A view or materialized view: defined by a query, its columns follow the definition.
    pub fn is_view(self) -> bool {
        matches!(self, Kind::View | Kind::MaterializedView)
    }

    /// A function or procedure.
    pub fn is_routine(self) -> bool {
        matches!(self, Kind::Function | Kind::Procedure)
    }

    /// The keyword SQL names it by in `DROP`/`ALTER`/`COMMENT ON` (`MATERIALIZED VIEW`).
    pub fn keyword(self) -> String {
        self.as_str().to_uppercase()
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The object another belongs to (a column's table): its kind and qualified name, kept apart
/// so the name is never cut out of a path again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Parent {
    /// What it is.
    pub kind: Kind,
    /// Its qualified name (`public."Order Items"`).
    pub name: String,
}

impl Parent {
    /// Its path (`table public.t`).
    pub fn path(&self) -> super::ObjectPath {
        super::ObjectPath::top(self.kind, self.name.clone())
    }
}

impl fmt::Display for Parent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.name)
    }
}

impl serde::Serialize for Parent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parent_writes_its_path_with_its_whole_kind() {
        let parent = Parent { kind: Kind::ForeignTable, name: "public.\"a b\"".into() };
        assert_eq!(parent.path().to_string(), "foreign table public.\"a b\"");
        assert!(Kind::ALL.iter().all(|k| !k.as_str().is_empty() && k.keyword() == k.as_str().to_uppercase()));
    }
}
