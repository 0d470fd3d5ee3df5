//! A sequence that stays while it changes hands: a serial column's own sequence kept as a
//! standalone one the column's new default names (`OWNED BY NONE`), or a standalone sequence
//! a column's default used becoming that column's own (`OWNED BY` the column) — never dropped
//! and made again, so its value and its name are kept.

use super::*;

/// The sequence a default reads (`nextval('public.s'::regclass)` → `public.s`), if that is all
/// it does.
pub(super) fn sequence_read_by(default: &str) -> Option<String> {
    let literal = default.strip_prefix("nextval('")?.strip_suffix("'::regclass)")?;
    Some(literal.replace("''", "'"))
}

/// The path of the sequence a column owns (`schema.table.column`): owned sequences are known
/// by their column, not by their name.
pub(super) fn owned_sequence(column: &str) -> ObjectPath {
    ObjectPath::top(Kind::Sequence, format!("owned by {column}"))
}

/// Sequences that change hands, found before anything is planned.
#[derive(Debug, Default)]
pub(super) struct Handovers {
    /// A standalone sequence of the target (path) → the column (`schema.table.column`) whose
    /// own sequence it is in the source.
    pub released: BTreeMap<ObjectPath, String>,
    /// A column (path) whose own sequence in the target is the standalone sequence (its
    /// qualified name) its default reads in the source.
    pub adopted: BTreeMap<ObjectPath, String>,
}

impl Handovers {
    /// Pairs each column whose default moves between its own sequence and a standalone one.
    pub(super) fn find(from: &Catalog, to: &Catalog) -> Handovers {
        let mut found = Handovers::default();
        for (path, new) in to.objects.iter().filter(|(_, o)| o.kind == Kind::Column) {
            let Some(old) = from.objects.get(path) else { continue };
            let (was, now) = (old.prop(Prop::Default), new.prop(Prop::Default));
            let qualified = format!("{}.{}", new.parent_name(), new.name);
            if was.contains(OWNED_SEQUENCE) {
                if let Some(sequence) = sequence_read_by(now) {
                    let sequence_path = ObjectPath::top(Kind::Sequence, sequence);
                    if to.objects.contains_key(&sequence_path) && !from.objects.contains_key(&sequence_path) {
                        found.released.insert(sequence_path, qualified);
                    }
                }
            } else if now.contains(OWNED_SEQUENCE) {
                if let Some(sequence) = sequence_read_by(was) {
                    let sequence_path = ObjectPath::top(Kind::Sequence, sequence.clone());
                    if from.objects.contains_key(&sequence_path) && !to.objects.contains_key(&sequence_path) {
                        found.adopted.insert(path.clone(), sequence);
                    }
                }
            }
        }
        found
    }

    /// Whether the source's standalone sequence (path) becomes a column's own.
    pub(super) fn is_adopted(&self, sequence_path: &ObjectPath) -> bool {
        sequence_path.kind() == Kind::Sequence && self.adopted.values().any(|s| sequence_path.name() == s)
    }

    /// Whether the own sequence of `column` (`schema.table.column`) is kept as a standalone one.
    pub(super) fn is_released(&self, column: &str) -> bool {
        self.released.values().any(|c| c == column)
    }
}

impl Planner<'_> {
    /// The column's own sequence kept as `sequence` (a new standalone one of the target): no
    /// longer owned, renamed to its name when that differs, given its options.
    pub(super) fn release_sequence(&mut self, sequence: &Object, column: &str) {
        let why = format!("sequence {}: the own sequence of {column}, kept as a standalone one", sequence.name);
        let sequence_name = crate::sql::split_last_part(&sequence.name).map_or(sequence.name.as_str(), |(_, n)| n);
        let (table, column_name) = crate::sql::split_last_part(column).unwrap_or(("", column));
        let bare_column = bare(column_name);
        let rename = format!(
            "DO $squashmate$ DECLARE s text := pg_catalog.pg_get_serial_sequence({}, {}); BEGIN IF s IS DISTINCT FROM {} THEN EXECUTE format('ALTER SEQUENCE %s RENAME TO %s', s, {}); END IF; END $squashmate$",
            quote_literal(table),
            quote_literal(&bare_column),
            quote_literal(&sequence.name),
            quote_literal(sequence_name)
        );
        // Renamed while still owned: pg_get_serial_sequence finds it only then.
        self.step(Phase::Definitions, Block::Main, Class::Safe, why.clone(), rename);
        self.step(Phase::Definitions, Block::Main, Class::Safe, why.clone(), on_owned_sequence(column, "ALTER SEQUENCE {} OWNED BY NONE"));
        if let Some(options) = sequence_options(sequence, Start::Alter) {
            let sql = format!("ALTER SEQUENCE {} {options}", sequence.name);
            self.step(Phase::Definitions, Block::Main, Class::Safe, why, sql);
        }
    }

    /// A standalone sequence the column's default read made the column's own: owned by it,
    /// given the target's options. Its name stays (the column's default reads it by oid).
    pub(super) fn adopt_sequence(&mut self, column: &Object, sequence: &str, class: Class, why: &str) {
        let owner = format!("{}.{}", column.parent_name(), column.name);
        self.step(Phase::Tables, Block::Main, class, why, format!("ALTER SEQUENCE {sequence} OWNED BY {owner}"));
        let target = self.to.objects.get(&owned_sequence(&owner));
        if let Some(options) = target.and_then(|s| sequence_options(s, Start::Alter)) {
            let sql = format!("ALTER SEQUENCE {sequence} {options}");
            self.step(Phase::Tables, Block::Main, class, why, sql);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_a_default_reads_is_read_back() {
        assert_eq!(sequence_read_by("nextval('public.\"Odd''s\"'::regclass)").as_deref(), Some("public.\"Odd's\""));
        assert_eq!(sequence_read_by("nextval('public.s'::regclass) + 1"), None);
        assert_eq!(sequence_read_by("0"), None);
    }
}
