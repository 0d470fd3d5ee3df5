//! The roles a chain creates itself: pg_dump never dumps roles, so the baseline creates them,
//! only where they are missing and with the attributes (and memberships) the chain gave them,
//! and a cluster that has never seen the chain gets them too.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use tokio_postgres::Client;

use crate::sql::{quote_ident_if_needed, quote_literal};

/// A role the chain made, as the replay left it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChainRole {
    /// Its name.
    pub name: String,
    /// Its `CREATE ROLE` options, every attribute spelled out.
    pub options: String,
    /// The roles it is a member of.
    pub member_of: Vec<String>,
}

/// The attributes and memberships of the roles `names` (those that exist), by name.
pub async fn read_roles(client: &Client, names: &BTreeSet<String>) -> Result<Vec<ChainRole>, tokio_postgres::Error> {
    let names: Vec<&String> = names.iter().collect();
    let rows = client
        .query(
            "SELECT r.rolname::text AS name,
                    concat_ws(' ', CASE WHEN r.rolsuper THEN 'SUPERUSER' ELSE 'NOSUPERUSER' END,
                        CASE WHEN r.rolcreatedb THEN 'CREATEDB' ELSE 'NOCREATEDB' END,
                        CASE WHEN r.rolcreaterole THEN 'CREATEROLE' ELSE 'NOCREATEROLE' END,
                        CASE WHEN r.rolinherit THEN 'INHERIT' ELSE 'NOINHERIT' END,
                        CASE WHEN r.rolcanlogin THEN 'LOGIN' ELSE 'NOLOGIN' END,
                        CASE WHEN r.rolreplication THEN 'REPLICATION' ELSE 'NOREPLICATION' END,
                        CASE WHEN r.rolbypassrls THEN 'BYPASSRLS' ELSE 'NOBYPASSRLS' END,
                        CASE WHEN r.rolconnlimit <> -1 THEN 'CONNECTION LIMIT ' || r.rolconnlimit END) AS options,
                    coalesce((SELECT array_agg(g.rolname::text ORDER BY g.rolname) FROM pg_catalog.pg_auth_members m
                              JOIN pg_catalog.pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid), '{}') AS member_of
             FROM pg_catalog.pg_roles r WHERE r.rolname = ANY($1) ORDER BY r.rolname",
            &[&names],
        )
        .await?;
    Ok(rows.iter().map(|r| ChainRole { name: r.get("name"), options: r.get("options"), member_of: r.get("member_of") }).collect())
}

/// SQL creating each role where it is missing (a role that exists is left as it is), then
/// granting the memberships.
pub fn roles_sql(roles: &[ChainRole]) -> String {
    let mut sql = String::new();
    if roles.is_empty() {
        return sql;
    }
    sql.push_str("-- Roles the squashed migrations created (pg_dump does not dump roles): made where missing.\n");
    sql.push_str("DO $squashmate$\nBEGIN\n");
    for role in roles {
        let _ = writeln!(
            sql,
            "  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {}) THEN\n    CREATE ROLE {} WITH {};\n  END IF;",
            quote_literal(&role.name),
            quote_ident_if_needed(&role.name),
            role.options
        );
    }
    sql.push_str("END\n$squashmate$;\n");
    for role in roles {
        for group in &role.member_of {
            let _ = writeln!(sql, "GRANT {} TO {};", quote_ident_if_needed(group), quote_ident_if_needed(&role.name));
        }
    }
    sql.push('\n');
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_made_only_where_missing_with_their_memberships() {
        let roles = [ChainRole {
            name: "App Svc".into(),
            options: "NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT LOGIN NOREPLICATION BYPASSRLS".into(),
            member_of: vec!["readers".into()],
        }];
        insta::assert_snapshot!(roles_sql(&roles), @r#"
        -- Roles the squashed migrations created (pg_dump does not dump roles): made where missing.
        DO $squashmate$
        BEGIN
          IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'App Svc') THEN
            CREATE ROLE "App Svc" WITH NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT LOGIN NOREPLICATION BYPASSRLS;
          END IF;
        END
        $squashmate$;
        GRANT readers TO "App Svc";
        "#);
        assert_eq!(roles_sql(&[]), "");
    }
}
