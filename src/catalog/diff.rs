//! Compares two catalogs. Objects whose names legitimately differ (auto-named constraints and
//! indexes, owned sequences) are matched by definition first, then by name; a pair with the
//! same definition and another name is a rename of its own (cosmetic) class.

use std::collections::BTreeMap;

use super::classify::{self, Class};
use super::kind::{Kind, Parent};
use super::model::{Catalog, Object};
use super::path::ObjectPath;
use super::prop::Prop;

/// What differs about an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Only the right has it.
    Added,
    /// Only the left has it.
    Removed,
    /// Both have it, under other names (an auto-named constraint or index).
    Renamed,
    /// One of its properties.
    Property(Prop),
}

/// One difference between the left and the right schema.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Difference {
    /// Where: `table public.t / constraint t_kind_check / definition`.
    pub path: String,
    /// The object (shown as its path, `table public.t / constraint t_kind_check`).
    pub object: ObjectPath,
    /// What differs about it.
    pub change: Change,
    /// The left value (`absent` when the object is missing on the left).
    pub left: String,
    /// The right value.
    pub right: String,
    /// How much it matters.
    pub class: Class,
}

const ABSENT: &str = "absent";
const PRESENT: &str = "present";

impl Difference {
    /// `object`, at `path`, on the left only.
    fn removed(path: &ObjectPath, object: &Object) -> Difference {
        Difference {
            path: path.to_string(),
            object: object.path(),
            change: Change::Removed,
            left: PRESENT.into(),
            right: ABSENT.into(),
            class: classify::removed(object.kind),
        }
    }

    /// `object`, at `path`, on the right only.
    fn added(path: &ObjectPath, object: &Object) -> Difference {
        Difference {
            path: path.to_string(),
            object: object.path(),
            change: Change::Added,
            left: ABSENT.into(),
            right: PRESENT.into(),
            class: classify::added(object),
        }
    }
}

/// Every difference going from `left` to `right`, sorted by path.
pub fn diff(left: &Catalog, right: &Catalog) -> Vec<Difference> {
    let mut out = Vec::new();
    let renameable = |o: &&Object| o.definition_key.is_some();
    // Plain objects: matched by path.
    let plain = |c: &'_ Catalog| -> BTreeMap<ObjectPath, Object> {
        c.objects.iter().filter(|(_, o)| !renameable(o)).map(|(k, o)| (k.clone(), o.clone())).collect()
    };
    let (l, r) = (plain(left), plain(right));
    let gone_parents: Vec<ObjectPath> = l.keys().filter(|k| !r.contains_key(*k)).cloned().collect();
    let new_parents: Vec<ObjectPath> = r.keys().filter(|k| !l.contains_key(*k)).cloned().collect();
    let under = |parents: &[ObjectPath], o: &Object| parents.iter().any(|g| o.is_under(g));
    for (path, lo) in &l {
        match r.get(path) {
            Some(ro) => compare_props(path, lo, ro, &mut out),
            None if !under(&gone_parents, lo) => out.push(Difference::removed(path, lo)),
            None => {}
        }
    }
    for (path, ro) in &r {
        if !l.contains_key(path) && !under(&new_parents, ro) {
            out.push(Difference::added(path, ro));
        }
    }
    // Renameable objects: by (parent, kind), definition first, then name.
    let group = |c: &'_ Catalog| -> BTreeMap<(Option<ObjectPath>, Kind), Vec<Object>> {
        let mut g: BTreeMap<(Option<ObjectPath>, Kind), Vec<Object>> = BTreeMap::new();
        for o in c.objects.values().filter(|o| renameable(o)) {
            g.entry((o.parent.as_ref().map(Parent::path), o.kind)).or_default().push(o.clone());
        }
        g
    };
    let (lg, rg) = (group(left), group(right));
    let keys: std::collections::BTreeSet<_> = lg.keys().chain(rg.keys()).cloned().collect();
    for key in keys {
        if key.0.as_ref().is_some_and(|p| gone_parents.contains(p) || new_parents.contains(p)) {
            continue;
        }
        let mut lefts = lg.get(&key).cloned().unwrap_or_default();
        let mut rights = rg.get(&key).cloned().unwrap_or_default();
        // Same definition.
        lefts.retain(|lo| {
            let Some(i) = rights.iter().position(|ro| ro.definition_key == lo.definition_key) else { return true };
            let ro = rights.remove(i);
            if lo.name != ro.name {
                out.push(Difference {
                    path: format!("{} / name", lo.path()),
                    object: ro.path(),
                    change: Change::Renamed,
                    left: lo.name.clone(),
                    right: ro.name.clone(),
                    class: Class::Cosmetic,
                });
            }
            compare_props(&ro.path(), lo, &ro, &mut out);
            false
        });
        // Same name, another definition.
        lefts.retain(|lo| {
            let Some(i) = rights.iter().position(|ro| ro.name == lo.name) else { return true };
            let ro = rights.remove(i);
            compare_props(&lo.path(), lo, &ro, &mut out);
            false
        });
        out.extend(lefts.iter().map(|lo| Difference::removed(&lo.path(), lo)));
        out.extend(rights.iter().map(|ro| Difference::added(&ro.path(), ro)));
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn compare_props(path: &ObjectPath, lo: &Object, ro: &Object, out: &mut Vec<Difference>) {
    let props: std::collections::BTreeSet<Prop> = lo.props.keys().chain(ro.props.keys()).copied().collect();
    for prop in props {
        let (a, b) = (lo.prop(prop), ro.prop(prop));
        if a != b {
            out.push(Difference {
                path: format!("{path} / {prop}"),
                object: ro.path(),
                change: Change::Property(prop),
                left: if a.is_empty() { "(none)".into() } else { a.to_string() },
                right: if b.is_empty() { "(none)".into() } else { b.to_string() },
                class: classify::changed(prop, lo, ro),
            });
        }
    }
}
