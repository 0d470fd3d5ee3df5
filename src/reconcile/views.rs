//! Which views depend on which relation, read from their definitions (`pg_get_viewdef` run
//! with an empty `search_path` qualifies every relation it names), and the order views must
//! be created in — each after the views it selects from — or dropped in (the reverse).

use std::collections::BTreeSet;

use crate::catalog::{Catalog, Object, ObjectPath, Prop};

/// Whether `definition` names `name` (`public.orders`, quoted parts as the catalog prints them)
/// as a whole word.
pub fn names(definition: &str, name: &str) -> bool {
    // A qualified name may be followed by `.column`, but not be part of a longer name.
    mentions(definition, name, |c| c.is_alphanumeric() || "_$.\"".contains(c), |c| c.is_alphanumeric() || "_$\"".contains(c))
}

/// Whether `text` holds `word` with no character `before_is_word` accepts just before it and
/// none `after_is_word` accepts just after it.
fn mentions(text: &str, word: &str, before_is_word: impl Fn(char) -> bool, after_is_word: impl Fn(char) -> bool) -> bool {
    text.match_indices(word).any(|(at, _)| {
        !text[..at].chars().next_back().is_some_and(&before_is_word) && !text[at + word.len()..].chars().next().is_some_and(&after_is_word)
    })
}

/// The views of `catalog` that select from `relation` (a qualified name) — only those that
/// name `column` too, when one is given — and, recursively, the views that select from them.
/// Paths.
pub fn dependants(catalog: &Catalog, relation: &str, column: Option<&str>) -> BTreeSet<ObjectPath> {
    let uses = |view: &Object, name: &str, column: Option<&str>| {
        let definition = view.prop(Prop::Definition);
        names(definition, name) && column.is_none_or(|c| column_named(definition, c))
    };
    let mut found: BTreeSet<ObjectPath> = BTreeSet::new();
    let mut next: Vec<(String, Option<&str>)> = vec![(relation.to_string(), column)];
    while let Some((name, column)) = next.pop() {
        for view in catalog.objects.values().filter(|o| o.kind.is_view() && o.name != name && uses(o, &name, column)) {
            if found.insert(view.path()) {
                next.push((view.name.clone(), None));
            }
        }
    }
    found
}

/// Whether a view definition mentions a column (`t.amount`, `amount`).
fn column_named(definition: &str, column: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    mentions(definition, column, word, word)
}

/// `paths` (views of `catalog`) in creation order: each after every view of the set its
/// definition names. A cycle (impossible in PostgreSQL) keeps the remaining ones in path order.
pub fn creation_order(catalog: &Catalog, paths: &BTreeSet<ObjectPath>) -> Vec<ObjectPath> {
    let views: Vec<&Object> = paths.iter().filter_map(|p| catalog.objects.get(p)).collect();
    let mut ordered: Vec<ObjectPath> = Vec::new();
    let mut left: Vec<&Object> = views.clone();
    while !left.is_empty() {
        let ready = |view: &&Object| {
            let definition = view.prop(Prop::Definition);
            !left.iter().any(|other| other.name != view.name && names(definition, &other.name))
        };
        let index = left.iter().position(ready).unwrap_or(0);
        ordered.push(left.remove(index).path());
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(name: &str, definition: &str) -> Object {
        let props = [(Prop::Definition, crate::catalog::Value::text(definition))].into();
        Object { kind: crate::catalog::Kind::View, parent: None, name: name.into(), definition_key: None, props }
    }

    #[test]
    fn dependants_are_found_through_each_other_and_created_in_order() {
        let mut catalog = Catalog::default();
        catalog.insert(view("public.top", " SELECT mid.a FROM public.mid;"));
        catalog.insert(view("public.mid", " SELECT t.a, t.b FROM public.t;"));
        catalog.insert(view("public.other", " SELECT t2.a FROM public.t2;"));
        catalog.insert(view("public.b_only", " SELECT t.b FROM public.t;"));
        let view = |name: &str| ObjectPath::top(crate::catalog::Kind::View, name);
        let all = dependants(&catalog, "public.t", None);
        assert_eq!(all, BTreeSet::from([view("public.b_only"), view("public.mid"), view("public.top")]));
        assert_eq!(dependants(&catalog, "public.t", Some("a")), BTreeSet::from([view("public.mid"), view("public.top")]));
        assert_eq!(creation_order(&catalog, &all), [view("public.b_only"), view("public.mid"), view("public.top")]);
        assert!(!names(" SELECT x FROM public.t2;", "public.t"));
        assert!(!names(" SELECT x FROM other.public.t;", "public.t"));
    }
}
