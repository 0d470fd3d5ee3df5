//! Views that cannot change in place: dropped, dependants first, and created again after
//! what they select from changed, each after the views it selects from.

use super::*;

/// A view's columns (name and type), in order.
pub(super) fn view_columns(catalog: &Catalog, view_path: &ObjectPath) -> Vec<(String, String)> {
    let mut columns: Vec<&Object> = catalog.objects.values().filter(|o| o.kind == Kind::Column && o.is_under(view_path)).collect();
    columns.sort_by_key(|c| c.prop(Prop::Position).parse::<u32>().unwrap_or(0));
    columns.into_iter().map(|c| (c.name.clone(), c.prop(Prop::Type).to_string())).collect()
}

impl Planner<'_> {
    /// A view that cannot be replaced in place: it and the views that select from it are
    /// dropped, then created again from the target (those the target still has).
    pub(super) fn recreate_view(&mut self, path: &ObjectPath, name: &str, class: Class, why: &str) {
        self.view_drops.insert(path.clone());
        if self.to.objects.contains_key(path) {
            self.view_creates.insert(path.clone(), (class, why.to_string()));
        }
        self.recreate_dependants(name, None, why);
    }

    /// Whether a routine's signature (arguments and result) names a view dropped and made
    /// again: its row type goes with the view, so the routine must go before and come after.
    pub(super) fn names_a_remade_view(&self, routine: &Object) -> bool {
        let signature = format!("{} {}", routine.name, routine.prop(Prop::Result));
        self.view_drops.iter().filter_map(|p| self.from.objects.get(p)).any(|view| names(&signature, &view.name))
    }

    /// The views that select from `relation` (that use `column`, when given), recursively:
    /// dropped before it changes and created again after (PostgreSQL refuses to change a
    /// column a view uses, or to drop a view others select from).
    pub(super) fn recreate_dependants(&mut self, relation: &str, column: Option<&str>, why: &str) {
        for path in dependants(self.from, relation, column) {
            self.view_drops.insert(path.clone());
            if self.to.objects.contains_key(&path) {
                let because = format!("{path}: selects from what changes ({why}); dropped and created again");
                self.view_creates.entry(path).or_insert((Class::NeedsConfirm, because));
            }
        }
    }

    /// The views to drop, dependants first; those to create, each after the views it selects
    /// from — with what went with a view that existed before: its comment, grants, owner,
    /// indexes, triggers.
    pub(super) fn emit_views(&mut self) {
        for path in creation_order(self.from, &self.view_drops).into_iter().rev() {
            let view = &self.from.objects[&path];
            let sql = format!("DROP {} {}", view.kind.keyword(), view.name);
            let (class, why) = self.view_creates.get(&path).cloned().unwrap_or_else(|| (removed(view.kind), format!("{path}: gone")));
            self.step(Phase::DropViews, Block::Main, class, why, sql);
        }
        let creates: BTreeSet<ObjectPath> = self.view_creates.keys().cloned().collect();
        for path in creation_order(self.to, &creates) {
            let view = &self.to.objects[&path];
            let (class, why) = self.view_creates[&path].clone();
            let with = match view.prop(Prop::Options) {
                "" => String::new(),
                options => format!(" WITH ({options})"),
            };
            let definition = view.prop(Prop::Definition).trim_end_matches(';');
            let sql = format!("CREATE {} {}{with} AS\n{definition}", view.kind.keyword(), view.name);
            let first_step = self.plan.steps.len();
            self.step(Phase::Views, Block::Main, class, why.clone(), sql);
            self.note_made(view, first_step);
            if !self.view_drops.contains(&path) {
                continue; // new: its comment and parts are planned as new objects
            }
            self.made_again_as_the_target_has_it(view);
            let unchanged_parts: Vec<&Object> = self
                .to
                .objects
                .values()
                .filter(|o| o.is_under(&path) && matches!(o.kind, Kind::Index | Kind::Trigger))
                .filter(|o| self.from.objects.get(&o.path()) == Some(*o))
                .collect();
            for part in unchanged_parts {
                match part.kind {
                    Kind::Index => self.create_index(part, true, &why),
                    _ => self.step(Phase::Dependants, Block::Main, class, why.clone(), part.prop(Prop::Definition).to_string()),
                }
            }
        }
    }
}
