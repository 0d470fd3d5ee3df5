//! The roles a piece of SQL names without creating them (`GRANT … TO app_reader`, `ALTER …
//! OWNER TO`, `CREATE POLICY … TO`, `ALTER DEFAULT PRIVILEGES FOR ROLE`): production has them,
//! a throwaway server does not, so it makes them first to run the SQL there — but never one the
//! SQL creates itself (`CREATE ROLE`, also inside `DO` blocks).

use std::collections::BTreeSet;

use pg_query::NodeEnum;
use pg_query::protobuf::{Node, RoleSpec, RoleSpecType};

/// The roles one piece of SQL creates and those it names without creating them, read with one
/// parse (unparsable SQL names and creates none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleUse {
    /// Roles it creates: `CREATE ROLE/USER/GROUP`, also inside `DO` blocks.
    pub created: BTreeSet<String>,
    /// Roles it names (grants, owners, policies, default privileges) and does not create.
    pub named: BTreeSet<String>,
}

/// Roles `sql` names but does not create itself.
pub fn referenced_roles(sql: &str) -> BTreeSet<String> {
    RoleUse::of(sql).named
}

/// Roles `sql` creates: `CREATE ROLE/USER/GROUP` statements, also inside `DO` blocks (where
/// chains create roles conditionally), read from the block's text.
pub fn created_roles(sql: &str) -> BTreeSet<String> {
    RoleUse::of(sql).created
}

impl RoleUse {
    /// What `sql` does with roles, by PostgreSQL's parser.
    pub fn of(sql: &str) -> RoleUse {
        let Ok(parsed) = pg_query::parse(sql, 0) else { return RoleUse::default() };
        let mut named = BTreeSet::new();
        let mut created = BTreeSet::new();
        let statements = parsed.protobuf.stmts.iter().filter_map(|s| s.stmt.as_ref().and_then(|n| n.node.as_ref()));
        for statement in statements {
            named_or_created(statement, &mut named, &mut created);
        }
        named.retain(|role| !created.contains(role));
        RoleUse { created, named }
    }
}

/// Adds the roles one statement names to `named`, those it creates to `created`.
fn named_or_created(statement: &NodeEnum, named: &mut BTreeSet<String>, created: &mut BTreeSet<String>) {
    match statement {
        NodeEnum::CreateRoleStmt(create) => {
            created.insert(create.role.clone());
        }
        NodeEnum::DoStmt(block) => created.extend(block.args.iter().filter_map(do_body).flat_map(|body| created_in_text(&body))),
        NodeEnum::GrantStmt(grant) => named.extend(role_names(&grant.grantees)),
        NodeEnum::GrantRoleStmt(grant) => {
            named.extend(role_names(&grant.grantee_roles));
            named.extend(grant.granted_roles.iter().filter_map(|r| match &r.node {
                Some(NodeEnum::AccessPriv(p)) => Some(p.priv_name.clone()),
                _ => None,
            }));
        }
        NodeEnum::AlterOwnerStmt(alter) => named.extend(alter.newowner.as_ref().and_then(role_name)),
        NodeEnum::AlterTableStmt(alter) => named.extend(alter.cmds.iter().filter_map(|c| match &c.node {
            Some(NodeEnum::AlterTableCmd(cmd)) => cmd.newowner.as_ref().and_then(role_name),
            _ => None,
        })),
        NodeEnum::CreatePolicyStmt(policy) => named.extend(role_names(&policy.roles)),
        NodeEnum::AlterPolicyStmt(policy) => named.extend(role_names(&policy.roles)),
        NodeEnum::CreateSchemaStmt(schema) => named.extend(schema.authrole.as_ref().and_then(role_name)),
        NodeEnum::AlterDefaultPrivilegesStmt(defaults) => {
            for option in &defaults.options {
                if let Some(NodeEnum::DefElem(element)) = &option.node {
                    if let Some(NodeEnum::List(list)) = element.arg.as_ref().and_then(|a| a.node.as_ref()) {
                        named.extend(role_names(&list.items));
                    }
                }
            }
            named.extend(defaults.action.as_ref().map(|grant| role_names(&grant.grantees)).into_iter().flatten());
        }
        _ => {}
    }
}

/// The body of a `DO` block's `as` argument.
fn do_body(argument: &Node) -> Option<String> {
    let Some(NodeEnum::DefElem(element)) = &argument.node else { return None };
    match element.arg.as_ref().and_then(|a| a.node.as_ref()) {
        Some(NodeEnum::String(body)) if element.defname == "as" => Some(body.sval.clone()),
        _ => None,
    }
}

/// Role names after `CREATE ROLE|USER|GROUP` in procedural text (quoted names as written,
/// others folded to lower case as PostgreSQL does).
fn created_in_text(body: &str) -> Vec<String> {
    static CREATE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(?i)\bcreate\s+(?:role|user|group)\s+("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)"#).expect("a valid pattern")
    });
    CREATE
        .captures_iter(body)
        .map(|c| {
            let name = &c[1];
            match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
                Some(quoted) => quoted.replace("\"\"", "\""),
                None => name.to_lowercase(),
            }
        })
        .collect()
}

/// A role named by name (not `PUBLIC`, `CURRENT_USER`…).
fn role_name(role: &RoleSpec) -> Option<String> {
    (role.roletype == RoleSpecType::RolespecCstring as i32 && !role.rolename.is_empty()).then(|| role.rolename.clone())
}

/// The roles named in a list of `RoleSpec` nodes.
fn role_names(nodes: &[Node]) -> Vec<String> {
    nodes
        .iter()
        .filter_map(|n| match &n.node {
            Some(NodeEnum::RoleSpec(role)) => role_name(role),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_granted_to_owned_by_and_in_policies_but_not_those_created_here() {
        let sql = "create role made_here;
            grant select on t to app_reader, public;
            grant insert (b) on t to made_here;
            alter table t owner to \"Owner Role\";
            create policy p on t to policy_role using (true);
            alter default privileges for role deployer in schema s grant select on tables to app_reader;
            grant auditor to app_reader;
            revoke all on t from current_user;";
        let roles: Vec<String> = referenced_roles(sql).into_iter().collect();
        assert_eq!(roles, ["Owner Role", "app_reader", "auditor", "deployer", "policy_role"]);
        assert!(referenced_roles("select from").is_empty());
    }

    #[test]
    fn roles_created_in_do_blocks_count_as_created() {
        let sql = "DO $$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'Svc') THEN CREATE ROLE Svc BYPASSRLS LOGIN; END IF;
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'Other One') THEN create user \"Other One\"; END IF;
            END $$;
            grant select on t to svc, \"Other One\", reader;";
        assert_eq!(created_roles(sql).into_iter().collect::<Vec<_>>(), ["Other One", "svc"]);
        assert_eq!(referenced_roles(sql).into_iter().collect::<Vec<_>>(), ["reader"]);
    }
}
