//! Enums and domains: labels added in place, checks added and validated, and a type made
//! again under its name (the columns that use it converted) where nothing else can change it.

use super::*;

/// The named CHECKs of a domain (`CONSTRAINT <name> CHECK (…)`), as `CREATE DOMAIN` and `ADD`
/// take them; a `NOT NULL` is the domain's `not null` property.
pub(super) fn domain_checks(domain: &Object) -> impl Iterator<Item = &String> {
    domain.items(Prop::Constraints).iter().filter(|item| !item.ends_with(" NOT NULL"))
}

/// The (quoted) name in `CONSTRAINT <name> CHECK …`.
fn check_name(check: &str) -> &str {
    let rest = check.strip_prefix("CONSTRAINT ").unwrap_or(check);
    match rest.strip_prefix('"') {
        // A quoted name ends at a quote not doubled.
        Some(quoted) => {
            let mut end = 0;
            let bytes = quoted.as_bytes();
            while end < bytes.len() {
                if bytes[end] == b'"' {
                    if bytes.get(end + 1) == Some(&b'"') {
                        end += 2;
                        continue;
                    }
                    break;
                }
                end += 1;
            }
            &rest[..end + 2]
        }
        None => rest.split(' ').next().unwrap_or(rest),
    }
}

/// `CREATE DOMAIN` with its default, NOT NULL and CHECKs.
pub(super) fn create_domain(domain: &Object) -> String {
    let mut sql = format!("CREATE DOMAIN {} AS {}", domain.name, domain.prop(Prop::BaseType));
    if !domain.prop(Prop::Default).is_empty() {
        sql.push_str(&format!(" DEFAULT {}", domain.prop(Prop::Default)));
    }
    if domain.prop(Prop::NotNull) == "not null" {
        sql.push_str(" NOT NULL");
    }
    for check in domain_checks(domain) {
        sql.push_str(&format!(" {check}"));
    }
    sql
}

impl Planner<'_> {
    /// A domain's default, NOT NULL or CHECKs. The CHECKs' names are not compared (equal
    /// schemas may name them differently), so the old ones are dropped by looking them up; the
    /// new ones are added `NOT VALID` and validated in a later transaction, named as PostgreSQL
    /// names them (`<domain>_check`, `<domain>_check1`, …).
    pub(super) fn alter_domain(&mut self, change: &Change<'_>) {
        let Change { new, class, .. } = *change;
        let why = change.why.to_string();
        let domain = &new.name;
        match change.prop {
            Prop::Default => {
                let sql = match new.prop(Prop::Default) {
                    "" => format!("ALTER DOMAIN {domain} DROP DEFAULT"),
                    d => format!("ALTER DOMAIN {domain} SET DEFAULT {d}"),
                };
                self.step(Phase::Definitions, Block::Main, class, why, sql);
            }
            Prop::NotNull => {
                let how = if new.prop(Prop::NotNull) == "not null" { "SET NOT NULL" } else { "DROP NOT NULL" };
                self.step(Phase::Definitions, Block::Main, class, why, format!("ALTER DOMAIN {domain} {how}"));
            }
            Prop::Constraints => {
                let drop_all = format!(
                    "DO $squashmate$\nDECLARE c name;\nBEGIN\n  FOR c IN SELECT conname FROM pg_catalog.pg_constraint WHERE contypid = {}::pg_catalog.regtype AND contype = 'c' LOOP\n    EXECUTE format('ALTER DOMAIN {} DROP CONSTRAINT %I', c);\n  END LOOP;\nEND\n$squashmate$",
                    quote_literal(domain),
                    domain.replace('\'', "''")
                );
                self.step(Phase::Definitions, Block::Main, class, format!("{why} (every CHECK of the domain dropped)"), drop_all);
                for check in domain_checks(new) {
                    if self.options.simple {
                        let sql = format!("ALTER DOMAIN {domain} ADD {check}");
                        self.step(Phase::Definitions, Block::Main, class, why.clone(), sql);
                        continue;
                    }
                    let sql = format!("ALTER DOMAIN {domain} ADD {check} NOT VALID");
                    self.step(Phase::Definitions, Block::Main, class, format!("{why} (added NOT VALID: no long lock)"), sql);
                    let name = check_name(check);
                    let sql = format!("ALTER DOMAIN {domain} VALIDATE CONSTRAINT {name}");
                    self.step(Phase::Validations, Block::Validate, class, format!("{why} (validated in its own transaction)"), sql);
                }
            }
            Prop::BaseType => {
                let why = format!("{why} (recreated: a domain's base type has no ALTER)");
                self.recreate_type(change.path, new, &create_domain(new), new.prop(Prop::BaseType), class, &why);
            }
            _ => self.not_planned(change),
        }
    }

    /// An enum whose labels were removed or reordered, recreated: the old type renamed, the new
    /// one created, every column using it converted through text (a value no longer listed
    /// fails loudly), the old type dropped. Destructive: values can be lost.
    pub(super) fn recreate_enum(&mut self, path: &ObjectPath, new: &Object, why: &str) {
        let create = format!("CREATE TYPE {} AS ENUM ({})", new.name, new.prop(Prop::Labels));
        self.recreate_type(path, new, &create, "text", Class::Destructive, &format!("{why} (recreated: labels removed or reordered)"));
    }

    /// A type recreated under its name: the old one renamed, the new one created (`create`),
    /// every column using it converted through `via` (its default set again; the views that
    /// select it dropped before and created again after), the old one dropped; its comment,
    /// grants and owner given back.
    pub(super) fn recreate_type(&mut self, path: &ObjectPath, new: &Object, create: &str, via: &str, class: Class, why: &str) {
        let name = &new.name;
        let Ok(parts) = crate::sql::parse_qualified(name) else {
            return self.unsupported(format!("{path}: unreadable name {name}"));
        };
        let (schema, bare) =
            (parts[..parts.len() - 1].iter().map(|p| crate::sql::quote_ident_if_needed(p)).collect::<Vec<_>>(), &parts[parts.len() - 1]);
        let old_bare = crate::sql::quote_ident_if_needed(&crate::sql::fit_identifier(bare, "_squashmate_old"));
        let old_name = schema.iter().chain([&old_bare]).cloned().collect::<Vec<_>>().join(".");
        let kind = if new.kind == Kind::Domain { "DOMAIN" } else { "TYPE" };
        let users: Vec<&Object> = self
            .from
            .objects
            .values()
            .filter(|o| o.kind == Kind::Column && (o.prop(Prop::Type) == name || o.prop(Prop::Type) == format!("{name}[]")))
            .collect();
        // A composite type's attribute cannot follow: nothing of the change is planned then.
        let in_types: Vec<ObjectPath> = users.iter().filter(|c| of_a_type(c)).map(|c| c.path()).collect();
        if !in_types.is_empty() {
            return in_types
                .iter()
                .for_each(|c| self.unsupported(format!("{path}: used by {c}, which a recreated type would have to follow")));
        }
        self.step(Phase::Tables, Block::Main, class, why, format!("ALTER {kind} {name} RENAME TO {old_bare}"));
        self.step(Phase::Tables, Block::Main, class, why, create.to_string());
        for column in users {
            if of_a_view(column) {
                continue; // follows its view, dropped and created again around the change below
            }
            let (table, col) = (column.parent_name(), &column.name);
            self.recreate_dependants(table, Some(col), why);
            let array = if column.prop(Prop::Type).ends_with("[]") { "[]" } else { "" };
            let default = column.prop(Prop::Default);
            if !default.is_empty() {
                let sql = format!("ALTER TABLE {table} ALTER COLUMN {col} DROP DEFAULT");
                self.step(Phase::Tables, Block::Main, class, why, sql);
            }
            let sql = format!("ALTER TABLE {table} ALTER COLUMN {col} TYPE {name}{array} USING {col}::{via}{array}::{name}{array}");
            self.step(Phase::Tables, Block::Main, class, why, sql);
            if !default.is_empty() {
                let sql = format!("ALTER TABLE {table} ALTER COLUMN {col} SET DEFAULT {default}");
                self.step(Phase::Tables, Block::Main, class, why, sql);
            }
        }
        self.step(Phase::Tables, Block::Main, class, why, format!("DROP {kind} {old_name}"));
        self.made_again_as_the_target_has_it(new);
    }

    /// New enum labels added in place; anything else (a removed or reordered label) needs the
    /// type recreated, which is not planned.
    pub(super) fn enum_labels(&mut self, path: &ObjectPath, old: &Object, new: &Object, why: &str) {
        let (was, now) = (old.items(Prop::Labels), new.items(Prop::Labels));
        let kept: Vec<&String> = now.iter().filter(|l| was.contains(l)).collect();
        if kept.len() != was.len() || kept.iter().zip(was).any(|(a, b)| *a != b) {
            return self.recreate_enum(path, new, why);
        }
        for (i, label) in now.iter().enumerate().filter(|(_, l)| !was.contains(l)) {
            let place = match i.checked_sub(1).map(|j| &now[j]) {
                Some(before) => format!(" AFTER {before}"),
                None => format!(" BEFORE {}", now[1]),
            };
            self.step(Phase::Definitions, Block::Main, Class::Safe, why, format!("ALTER TYPE {} ADD VALUE {label}{place}", new.name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_domains_checks_are_its_named_checks() {
        let listed = [
            "CONSTRAINT \"In Range\" CHECK (((VALUE > 0) AND (VALUE < 10)))",
            "CONSTRAINT d_not_null NOT NULL",
            "CONSTRAINT not_five CHECK ((VALUE <> 5))",
        ];
        let domain = Object {
            kind: Kind::Domain,
            parent: None,
            name: "public.d".into(),
            definition_key: None,
            props: [(Prop::Constraints, crate::catalog::Value::items(listed.map(String::from).to_vec(), " AND "))].into(),
        };
        let checks: Vec<&String> = domain_checks(&domain).collect();
        assert_eq!(checks, [listed[0], listed[2]]);
        assert_eq!((check_name(checks[0]), check_name(checks[1])), ("\"In Range\"", "not_five"));
        assert_eq!(check_name("CONSTRAINT \"a \"\" b\" CHECK (true)"), "\"a \"\" b\"");
        assert!(domain_checks(&Object { props: Default::default(), ..domain.clone() }).next().is_none());
    }
}
