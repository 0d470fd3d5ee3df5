//! Privileges and owners as `GRANT`/`REVOKE`/`ALTER … OWNER`, with the grants a new object
//! gets from default privileges taken into account.

use super::*;

/// The privileges the object a `grants` object is about has when none were granted.
pub(super) fn implicit_privileges(grants: &Object) -> &'static str {
    grants.granted().map_or("", |granted| granted.implicit_privileges())
}

impl Planner<'_> {
    /// `GRANT`/`REVOKE` taking the privileges of a `grants` object (at `path`) from `was` to
    /// `now` (with `--privileges`).
    pub(super) fn grants(&mut self, path: &ObjectPath, was: &str, now: &str, class: Class, why: &str) {
        let Some(granted) = Granted::parse(path.name()) else {
            return self.unsupported(format!("{path}: privileges on what this names cannot be written"));
        };
        let defaults = matches!(granted, Granted::Defaults { .. });
        let changes = if defaults {
            let (old, new) = (self.from.objects.get(path), self.to.objects.get(path));
            default_privilege_changes(&granted, old.map(|o| o.prop(Prop::Privileges)), new.map(|o| o.prop(Prop::Privileges)))
        } else {
            grant_changes(&granted, was, now)
        };
        match changes {
            Some(statements) => {
                for (verb, sql) in statements {
                    let phase = match (defaults, verb.takes_away()) {
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

    /// The new objects the target's default privileges reach: made by the plan, they get
    /// those privileges on creation, so each is first cleared of them (and of everyone's) and
    /// then given exactly the target's. Returns the paths of their `grants` objects.
    pub(super) fn clear_default_grants(&mut self) -> BTreeSet<ObjectPath> {
        let defaults: Vec<(Option<String>, DefaultsFor, Vec<&str>)> = self
            .to
            .objects
            .values()
            .filter_map(|o| match o.granted()? {
                Granted::Defaults { role, schema, objects } => {
                    let grantees = from_acl(o.prop(Prop::Privileges), &role)?.into_iter().map(|g| g.grantee).collect();
                    Some((schema, objects, grantees))
                }
                _ => None,
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
            let Some((class, objects)) = ObjectClass::granted_as(object.kind) else { continue };
            let granted = Granted::Object { class, name: object.name.clone() };
            let reaching: Vec<&(Option<String>, DefaultsFor, Vec<&str>)> = defaults
                .iter()
                .filter(|(schema, of, _)| *of == objects && schema.as_deref().is_none_or(|s| s == schema_of(&object.name)))
                .collect();
            if reaching.is_empty() {
                continue;
            }
            let Some((target, _)) = grant_target(&granted) else { continue };
            let mut grantees: BTreeSet<&str> = reaching.iter().flat_map(|(_, _, g)| g.iter().copied()).collect();
            if matches!(objects, DefaultsFor::Functions | DefaultsFor::Types) {
                grantees.insert("PUBLIC"); // everyone's by default, unless the defaults say otherwise
            }
            for who in grantees {
                let why = format!("{path}: new, made with the target's default privileges (cleared, then granted as the target has them)");
                steps.push((why, format!("REVOKE ALL ON {target} FROM {who}")));
            }
            cleared.insert(granted.grants_path());
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
        let why = format!("{}: made again, given what the target has", object.path());
        if let Some(granted) = Granted::on(object.kind, &object.name) {
            let path = granted.grants_path();
            if let Some(grants) = self.to.objects.get(&path) {
                self.grants(&path, granted.implicit_privileges(), grants.prop(Prop::Privileges), Class::Safe, &why);
            }
        }
        let owner = Granted::owner_of(object.kind, &object.name).and_then(|owned| self.to.objects.get(&owned.owner_path()));
        if let Some(owner) = owner {
            self.owner(owner, owner.prop(Prop::Owner), Class::Safe, &why);
        }
    }

    /// `ALTER … OWNER TO` for the object an `owner` object is about.
    pub(super) fn owner(&mut self, of: &Object, owner: &str, class: Class, why: &str) {
        let Some(Granted::Object { class: object_class, name }) = of.granted() else {
            return self.unsupported(format!("{}: its name does not read as an object", of.path()));
        };
        let sql = format!("ALTER {} {name} OWNER TO {owner}", object_class.keyword());
        self.step(Phase::Dependants, Block::Main, class, why.to_string(), sql);
    }
}
