//! blake3 fingerprints of a catalog: per object, per table (with everything under it) and for
//! the whole schema, in sorted order, tagged with a format version. Names that legitimately
//! differ (auto-named constraints and indexes, owned sequences) and column order are left out,
//! so databases built differently but equal get the same fingerprint.

use std::collections::BTreeMap;

use super::kind::Parent;
use super::model::{Catalog, Object};
use super::path::ObjectPath;

/// Bump when what goes into a fingerprint changes.
pub const FORMAT: &str = "squashmate-catalog-v2";

/// The fingerprints of a catalog.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Fingerprint {
    /// The whole schema.
    pub schema: String,
    /// Each table (and view) with its columns, constraints, indexes, triggers and policies.
    pub tables: BTreeMap<String, String>,
}

/// The text an object contributes: identity and properties, without names that may differ.
fn canonical(object: &Object) -> String {
    let identity = object.definition_key.as_deref().unwrap_or(&object.name);
    let mut text = format!("{}\u{1f}{}\u{1f}{}", object.parent.as_ref().map(Parent::to_string).unwrap_or_default(), object.kind, identity);
    for (key, value) in object.props.iter().filter(|(k, _)| !k.follows_history()) {
        text.push_str(&format!("\u{1e}{key}={value}"));
    }
    text
}

/// Fingerprints `catalog`.
pub fn fingerprint(catalog: &Catalog) -> Fingerprint {
    let mut objects: Vec<String> = catalog.objects.values().map(canonical).collect();
    objects.sort();
    let mut whole = blake3::Hasher::new();
    whole.update(FORMAT.as_bytes());
    for o in &objects {
        whole.update(blake3::hash(o.as_bytes()).as_bytes());
    }
    let mut tables: BTreeMap<ObjectPath, blake3::Hasher> = BTreeMap::new();
    for object in catalog.objects.values() {
        let table = match &object.parent {
            Some(parent) => parent.path(),
            None if object.kind.is_relation() => object.path(),
            None => continue,
        };
        tables.entry(table).or_insert_with(|| {
            let mut h = blake3::Hasher::new();
            h.update(FORMAT.as_bytes());
            h
        });
    }
    let mut per_table: BTreeMap<ObjectPath, Vec<String>> = BTreeMap::new();
    for object in catalog.objects.values() {
        let table = object.parent.as_ref().map_or_else(|| object.path(), Parent::path);
        if tables.contains_key(&table) {
            per_table.entry(table).or_default().push(canonical(object));
        }
    }
    let tables = per_table
        .into_iter()
        .map(|(table, mut parts)| {
            parts.sort();
            let mut h = blake3::Hasher::new();
            h.update(FORMAT.as_bytes());
            for p in &parts {
                h.update(blake3::hash(p.as_bytes()).as_bytes());
            }
            (table.to_string(), h.finalize().to_hex().to_string())
        })
        .collect();
    Fingerprint { schema: whole.finalize().to_hex().to_string(), tables }
}
