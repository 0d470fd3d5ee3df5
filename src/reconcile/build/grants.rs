//! Privileges and owners as `GRANT`/`REVOKE`/`ALTER … OWNER`, with the grants a new object
//! gets from default privileges taken into account.

use super::*;

impl Planner<'_> {
    /// `GRANT`/`REVOKE` taking the privileges of a `grants` object (at `path`) from `was` to
    /// `now` (with `--privileges`).
    pub(super) fn grants(&mut self, path: &ObjectPath, was: &str, now: &str, class: Class, why: &str) {
        let name = path.name();
        let changes = if name.starts_with("default privileges ") {
            let (old, new) = (self.from.objects.get(path), self.to.objects.get(path));
            default_privilege_changes(name, old.map(|o| o.prop(Prop::Privileges)), new.map(|o| o.prop(Prop::Privileges)))
        } else {
            grant_changes(name, was, now)
        };
        match changes {
            Some(statements) => {
                for (verb, sql) in statements {
                    let phase = match (name.starts_with("default privileges "), verb.takes_away()) {
                        (true, _) => Phase::DefaultPrivileges,
                        (false, true) => Phase::Revokes,
                        (false, false) => Phase::Grants,
                    };
                    self.step(phase, Block::Main, class, why.to_string(), sql);
                }
            }
            None => self.unsupported(format!("{path}: these privileges cannot be read")),
        }
    }

    /// The new objects the target's default privileges reach (their `grants` names): made by
    /// the plan, they get those privileges on creation, so each is first cleared of them (and
    /// of everyone's) and then given exactly the target's. Returns the names cleared.
    pub(super) fn clear_default_grants(&mut self) -> BTreeSet<String> {
        let defaults: Vec<(&str, &str, Vec<&str>)> = self
            .to
            .objects
            .values()
            .filter(|o| o.kind == Kind::Grants)
            .filter_map(|o| {
                let mut words = o.name.strip_prefix("default privileges ")?.split(' ');
                let (role, schema, code) = (words.next()?, words.next()?, words.next()?);
                let grantees = from_acl(o.prop(Prop::Privileges), role)?.into_iter().map(|g| g.grantee).collect();
                Some((schema, code, grantees))
            })
            .collect();
        let mut cleared = BTreeSet::new();
        let new_objects = self.to.objects.iter().filter(|(path, o)| {
            o.parent.is_none()
                && o.definition_key.is_none()
                && !self.from.objects.contains_key(*path)
                && !self.renamed_to.contains_key(*path)
        });
        let mut steps = Vec::new();
        for (path, object) in new_objects {
            let (granted, code) = match object.kind {
                Kind::Table | Kind::View | Kind::MaterializedView | Kind::ForeignTable => (format!("table {}", object.name), "r"),
                Kind::Sequence => (format!("table {}", object.name), "S"),
                Kind::Function | Kind::Procedure => (format!("{} {}", object.kind, object.name), "f"),
                Kind::Enum | Kind::Domain | Kind::CompositeType | Kind::RangeType => (format!("type {}", object.name), "T"),
                Kind::Schema => (format!("schema {}", object.name), "n"),
                _ => continue,
            };
            let schema = if code == "n" { "*" } else { schema_of(&object.name) };
            let mut grantees: BTreeSet<&str> = defaults
                .iter()
                .filter(|(s, c, _)| *c == code && (*s == "*" || *s == schema))
                .flat_map(|(_, _, g)| g.iter().copied())
                .collect();
            if !defaults.iter().any(|(s, c, _)| *c == code && (*s == "*" || *s == schema)) {
                continue;
            }
            let Some((target, _)) = grant_target(&granted) else { continue };
            if matches!(code, "f" | "T") {
                grantees.insert("PUBLIC"); // everyone's by default, unless the defaults say otherwise
            }
            for who in grantees {
                let why = format!("{path}: new, made with the target's default privileges (cleared, then granted as the target has them)");
                steps.push((why, format!("REVOKE ALL ON {target} FROM {who}")));
            }
            cleared.insert(granted);
        }
        for (why, sql) in steps {
            self.step(Phase::Revokes, Block::Main, Class::Safe, why, sql);
        }
        cleared
    }

    /// What an object dropped and made again under its name loses, given back as the target
    /// has it: its comment, its grants (from those it is made with), its owner.
    pub(super) fn made_again_as_the_target_has_it(&mut self, object: &Object) {
        self.set_comment(object, None, Phase::Dependants);
        let granted = format!("{} {}", object.kind, object.name);
        let why = format!("{}: made again, given what the target has", object.path());
        let grants_path = ObjectPath::top(Kind::Grants, granted.clone());
        if let Some(grants) = self.to.objects.get(&grants_path) {
            self.grants(&grants_path, default_privileges(&granted), grants.prop(Prop::Privileges), Class::Safe, &why);
        }
        if let Some(owner) = self.to.objects.get(&ObjectPath::top(Kind::Owner, granted.clone())) {
            self.owner(&granted, owner.prop(Prop::Owner), Class::Safe, &why);
        }
    }

    /// `ALTER … OWNER TO` for the object an `owner` object names (`table public.t`).
    pub(super) fn owner(&mut self, name: &str, owner: &str, class: Class, why: &str) {
        let Some((kind, object)) =
            ["materialized view", "foreign table", "table", "view", "sequence", "function", "procedure", "aggregate", "type", "schema"]
                .iter()
                .find_map(|k| name.strip_prefix(&format!("{k} ")).map(|object| (k.to_uppercase(), object)))
        else {
            return self.unsupported(format!("owner {name}: an owner of this kind cannot be written yet"));
        };
        self.step(Phase::Dependants, Block::Main, class, why.to_string(), format!("ALTER {kind} {object} OWNER TO {owner}"));
    }
}
