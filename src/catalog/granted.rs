//! What a `grants` or `owner` object is about — an object, a column, or a role's default
//! privileges — as a typed value: its name is written by the catalog's queries in one form
//! (`table public.t`, `column public.t.c`, `default privileges app "My Schema" r`) and read back
//! here alone, quote-aware, so a name holding spaces or dots is never cut apart elsewhere.

use std::fmt;

use super::kind::Kind;
use super::path::ObjectPath;

/// The word an object's class goes by in a `grants` or `owner` name, and in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectClass {
    /// Privileges name every relation and sequence `table`; owners name tables so.
    Table,
    /// A view (owners).
    View,
    /// A materialized view (owners).
    MaterializedView,
    /// A foreign table (owners).
    ForeignTable,
    /// A sequence (owners).
    Sequence,
    /// A schema.
    Schema,
    /// A function.
    Function,
    /// A procedure.
    Procedure,
    /// An aggregate (owners; privileges name it `function`).
    Aggregate,
    /// Every type: enum, domain, composite, range.
    Type,
}

impl ObjectClass {
    const ALL: [ObjectClass; 10] = [
        ObjectClass::MaterializedView,
        ObjectClass::ForeignTable,
        ObjectClass::Table,
        ObjectClass::View,
        ObjectClass::Sequence,
        ObjectClass::Schema,
        ObjectClass::Function,
        ObjectClass::Procedure,
        ObjectClass::Aggregate,
        ObjectClass::Type,
    ];

    /// Its words in names (`materialized view`).
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectClass::Table => "table",
            ObjectClass::View => "view",
            ObjectClass::MaterializedView => "materialized view",
            ObjectClass::ForeignTable => "foreign table",
            ObjectClass::Sequence => "sequence",
            ObjectClass::Schema => "schema",
            ObjectClass::Function => "function",
            ObjectClass::Procedure => "procedure",
            ObjectClass::Aggregate => "aggregate",
            ObjectClass::Type => "type",
        }
    }

    /// The one kind it names (`None` for `type`, every kind of type).
    pub fn kind(self) -> Option<Kind> {
        match self {
            ObjectClass::Table => Some(Kind::Table),
            ObjectClass::View => Some(Kind::View),
            ObjectClass::MaterializedView => Some(Kind::MaterializedView),
            ObjectClass::ForeignTable => Some(Kind::ForeignTable),
            ObjectClass::Sequence => Some(Kind::Sequence),
            ObjectClass::Schema => Some(Kind::Schema),
            ObjectClass::Function => Some(Kind::Function),
            ObjectClass::Procedure => Some(Kind::Procedure),
            ObjectClass::Aggregate => Some(Kind::Aggregate),
            ObjectClass::Type => None,
        }
    }

    /// Its words in SQL (`MATERIALIZED VIEW`).
    pub fn keyword(self) -> String {
        self.as_str().to_uppercase()
    }

    /// The class privileges name an object of `kind` by, and the class of default privileges
    /// that reach it; `None` for kinds nothing is granted on.
    pub fn granted_as(kind: Kind) -> Option<(ObjectClass, DefaultsFor)> {
        match kind {
            Kind::Table | Kind::View | Kind::MaterializedView | Kind::ForeignTable => Some((ObjectClass::Table, DefaultsFor::Tables)),
            Kind::Sequence => Some((ObjectClass::Table, DefaultsFor::Sequences)),
            Kind::Function => Some((ObjectClass::Function, DefaultsFor::Functions)),
            Kind::Procedure => Some((ObjectClass::Procedure, DefaultsFor::Functions)),
            Kind::Enum | Kind::Domain | Kind::CompositeType | Kind::RangeType => Some((ObjectClass::Type, DefaultsFor::Types)),
            Kind::Schema => Some((ObjectClass::Schema, DefaultsFor::Schemas)),
            _ => None,
        }
    }

    /// The class owners name an object of `kind` by: the one class naming that kind, `type`
    /// for every kind of type.
    pub fn owned_as(kind: Kind) -> Option<ObjectClass> {
        match kind {
            Kind::Enum | Kind::Domain | Kind::CompositeType | Kind::RangeType => Some(ObjectClass::Type),
            _ => ObjectClass::ALL.into_iter().find(|class| class.kind() == Some(kind)),
        }
    }
}

/// What default privileges are for (`pg_default_acl.defaclobjtype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultsFor {
    /// `r`: tables and other relations.
    Tables,
    /// `S`: sequences.
    Sequences,
    /// `f`: functions and procedures.
    Functions,
    /// `T`: types.
    Types,
    /// `n`: schemas.
    Schemas,
}

impl DefaultsFor {
    const ALL: [DefaultsFor; 5] =
        [DefaultsFor::Tables, DefaultsFor::Sequences, DefaultsFor::Functions, DefaultsFor::Types, DefaultsFor::Schemas];

    /// The catalog's letter for it.
    pub fn code(self) -> &'static str {
        match self {
            DefaultsFor::Tables => "r",
            DefaultsFor::Sequences => "S",
            DefaultsFor::Functions => "f",
            DefaultsFor::Types => "T",
            DefaultsFor::Schemas => "n",
        }
    }

    /// `ALTER DEFAULT PRIVILEGES … ON <this>`.
    pub fn keyword(self) -> &'static str {
        match self {
            DefaultsFor::Tables => "TABLES",
            DefaultsFor::Sequences => "SEQUENCES",
            DefaultsFor::Functions => "FUNCTIONS",
            DefaultsFor::Types => "TYPES",
            DefaultsFor::Schemas => "SCHEMAS",
        }
    }
}

/// What privileges (or an owner) are about. Names are kept as SQL writes them (quoted where
/// needed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Granted {
    /// An object (a routine's name with its argument types).
    Object {
        /// How it is named.
        class: ObjectClass,
        /// Its qualified name.
        name: String,
    },
    /// A column of a table.
    Column {
        /// The table's qualified name.
        table: String,
        /// The column's name.
        column: String,
    },
    /// A role's default privileges, in one schema or everywhere.
    Defaults {
        /// The role whose new objects get them.
        role: String,
        /// The schema they apply in (`None`: every schema).
        schema: Option<String>,
        /// What they are for.
        objects: DefaultsFor,
    },
}

impl Granted {
    /// Reads a `grants` or `owner` object's name; `None` for one no query writes.
    pub fn parse(name: &str) -> Option<Granted> {
        if let Some(rest) = name.strip_prefix("default privileges ") {
            let words = crate::sql::split_words(rest);
            let [role, schema, code] = words.as_slice() else { return None };
            let objects = DefaultsFor::ALL.into_iter().find(|d| d.code() == *code)?;
            let schema = (*schema != "*").then(|| schema.to_string());
            return Some(Granted::Defaults { role: role.to_string(), schema, objects });
        }
        if let Some(rest) = name.strip_prefix("column ") {
            let (table, column) = crate::sql::split_last_part(rest)?;
            return Some(Granted::Column { table: table.to_string(), column: column.to_string() });
        }
        ObjectClass::ALL.into_iter().find_map(|class| {
            let rest = name.strip_prefix(class.as_str())?.strip_prefix(' ')?;
            Some(Granted::Object { class, name: rest.to_string() })
        })
    }

    /// The privileges on `kind` `name` (`None` for kinds nothing is granted on).
    pub fn on(kind: Kind, name: &str) -> Option<Granted> {
        ObjectClass::granted_as(kind).map(|(class, _)| Granted::Object { class, name: name.to_string() })
    }

    /// The owner of `kind` `name` (`None` for kinds whose owner is not read).
    pub fn owner_of(kind: Kind, name: &str) -> Option<Granted> {
        ObjectClass::owned_as(kind).map(|class| Granted::Object { class, name: name.to_string() })
    }

    /// The table it is about (a column's), where it is a table's or a column's.
    pub fn table(&self) -> Option<ObjectPath> {
        match self {
            Granted::Object { class: ObjectClass::Table, name } => Some(ObjectPath::top(Kind::Table, name.clone())),
            Granted::Column { table, .. } => Some(ObjectPath::top(Kind::Table, table.clone())),
            _ => None,
        }
    }

    /// The qualified name of the object it is about (a routine's without its arguments, a
    /// column's table's); `None` for default privileges.
    pub fn qualified_name(&self) -> Option<&str> {
        match self {
            Granted::Object { name, .. } => Some(name.split('(').next().unwrap_or(name)),
            Granted::Column { table, .. } => Some(table),
            Granted::Defaults { .. } => None,
        }
    }

    /// The privileges an object has when no grant was made: everyone may execute a routine
    /// and use a type; nobody but the owner may use anything else.
    pub fn implicit_privileges(&self) -> &'static str {
        match self {
            Granted::Object { class: ObjectClass::Function | ObjectClass::Procedure, .. } => "public:EXECUTE",
            Granted::Object { class: ObjectClass::Type, .. } => "public:USAGE",
            _ => "",
        }
    }

    /// The path of its `grants` object.
    pub fn grants_path(&self) -> ObjectPath {
        ObjectPath::top(Kind::Grants, self.to_string())
    }

    /// The path of its `owner` object.
    pub fn owner_path(&self) -> ObjectPath {
        ObjectPath::top(Kind::Owner, self.to_string())
    }
}

impl fmt::Display for Granted {
    /// The name the catalog gives it (what [`Granted::parse`] reads).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Granted::Object { class, name } => write!(f, "{} {name}", class.as_str()),
            Granted::Column { table, column } => write!(f, "column {table}.{column}"),
            Granted::Defaults { role, schema, objects } => {
                write!(f, "default privileges {role} {} {}", schema.as_deref().unwrap_or("*"), objects.code())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_back_whole_whatever_they_hold() {
        let defaults = Granted::parse(r#"default privileges "Data Team" "My Schema" r"#).unwrap();
        assert_eq!(
            defaults,
            Granted::Defaults { role: r#""Data Team""#.into(), schema: Some(r#""My Schema""#.into()), objects: DefaultsFor::Tables }
        );
        let everywhere = Granted::parse("default privileges app * f").unwrap();
        assert!(matches!(&everywhere, Granted::Defaults { schema: None, objects: DefaultsFor::Functions, .. }));
        let column = Granted::parse(r#"column public."a.b"."c d""#).unwrap();
        assert_eq!(column, Granted::Column { table: r#"public."a.b""#.into(), column: r#""c d""#.into() });
        assert_eq!(column.table(), Some(ObjectPath::top(Kind::Table, r#"public."a.b""#)));
        let view = Granted::parse("materialized view public.m").unwrap();
        assert_eq!(view, Granted::Object { class: ObjectClass::MaterializedView, name: "public.m".into() });
        let routine = Granted::parse("function public.f(integer, text)").unwrap();
        assert_eq!((routine.qualified_name(), routine.implicit_privileges()), (Some("public.f"), "public:EXECUTE"));
        assert_eq!(Granted::parse("nothing x"), None);
        assert_eq!(Granted::parse("default privileges app public x"), None);
        for granted in [defaults, everywhere, column, view, routine] {
            assert_eq!(Granted::parse(&granted.to_string()).as_ref(), Some(&granted), "{granted}");
        }
        assert_eq!(Granted::on(Kind::Sequence, "public.s").unwrap().to_string(), "table public.s");
        assert_eq!(Granted::owner_of(Kind::Enum, "public.e").unwrap().to_string(), "type public.e");
    }
}
