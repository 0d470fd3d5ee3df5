//! The roles a piece of SQL names without creating them (`GRANT … TO app_reader`, `ALTER …
//! OWNER TO`, `CREATE POLICY … TO`, `ALTER DEFAULT PRIVILEGES FOR ROLE`): production has them,
//! a throwaway server does not, so it makes them first (without login) to run the SQL there.

use std::collections::BTreeSet;

use pg_query::NodeEnum;
use pg_query::protobuf::{Node, RoleSpec, RoleSpecType};

/// Roles `sql` names but does not create itself (by PostgreSQL's parser; unparsable SQL names
/// none).
pub fn referenced_roles(sql: &str) -> BTreeSet<String> {
    let Ok(parsed) = pg_query::parse(sql, 0) else { return BTreeSet::new() };
    let mut named = BTreeSet::new();
    let mut created = BTreeSet::new();
    let statements = parsed.protobuf.stmts.iter().filter_map(|s| s.stmt.as_ref().and_then(|n| n.node.as_ref()));
    for statement in statements {
        match statement {
            NodeEnum::CreateRoleStmt(create) => {
                created.insert(create.role.clone());
            }
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
    named.retain(|role| !created.contains(role));
    named
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

/// `CREATE ROLE` for each of `roles` that does not exist yet (no login, no privileges); a
/// concurrent session making the same role (two databases loaded at once) is no error.
pub fn create_roles_sql(roles: &BTreeSet<String>) -> String {
    roles
        .iter()
        .map(|role| {
            format!(
                "DO $squashmate$ BEGIN CREATE ROLE {} NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $squashmate$;\n",
                crate::sql::quote_ident_if_needed(role)
            )
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
        assert!(create_roles_sql(&BTreeSet::from(["app".to_string()])).contains("CREATE ROLE app NOLOGIN"));
    }
}
