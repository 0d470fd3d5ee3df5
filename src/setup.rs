//! What every throwaway database gets before the chain runs: the roles and extensions
//! production has although no migration creates them, and setup SQL (platform schemas such as
//! Supabase's `auth`, operator-installed extensions). None of it is ever part of a baseline.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::Deserialize;

use crate::migration::{RoleUse, created_roles};
use crate::sql::{quote_ident_if_needed, quote_literal};

/// A role production has, with the attributes it has there (`roles = [{ name = "app", login =
/// true }]` in `db/squash.toml`; a plain `"app"` is a role with no attributes).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum DeclaredRole {
    /// Just the name: made `NOLOGIN`.
    Name(String),
    /// The name and its attributes.
    WithAttributes(RoleAttributes),
}

/// A declared role's attributes (each `false` unless given).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleAttributes {
    /// The role's name.
    pub name: String,
    /// `LOGIN`.
    #[serde(default)]
    pub login: bool,
    /// `BYPASSRLS`.
    #[serde(default)]
    pub bypassrls: bool,
    /// `CREATEDB`.
    #[serde(default)]
    pub createdb: bool,
    /// `CREATEROLE`.
    #[serde(default)]
    pub createrole: bool,
    /// `REPLICATION`.
    #[serde(default)]
    pub replication: bool,
    /// `SUPERUSER`.
    #[serde(default)]
    pub superuser: bool,
}

impl DeclaredRole {
    /// The role's attributes (a plain name has none).
    pub fn attributes(&self) -> RoleAttributes {
        match self {
            DeclaredRole::Name(name) => RoleAttributes { name: name.clone(), ..RoleAttributes::default() },
            DeclaredRole::WithAttributes(attributes) => attributes.clone(),
        }
    }
}

impl RoleAttributes {
    /// The `CREATE ROLE` options for these attributes, every one spelled out.
    pub fn options(&self) -> String {
        let flag = |on: bool, name: &str| if on { name.to_string() } else { format!("NO{name}") };
        [
            flag(self.superuser, "SUPERUSER"),
            flag(self.createdb, "CREATEDB"),
            flag(self.createrole, "CREATEROLE"),
            flag(self.login, "LOGIN"),
            flag(self.replication, "REPLICATION"),
            flag(self.bypassrls, "BYPASSRLS"),
        ]
        .join(" ")
    }

    /// SQL creating the role unless a role of that name exists (a concurrent session making
    /// the same role is no error either).
    pub fn create_if_missing_sql(&self) -> String {
        format!(
            "DO $squashmate$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {}) THEN CREATE ROLE {} WITH {}; END IF; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $squashmate$;\n",
            quote_literal(&self.name),
            quote_ident_if_needed(&self.name),
            self.options()
        )
    }
}

/// A setup SQL file and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its SQL.
    pub text: String,
}

/// What every throwaway database gets before the chain: declared roles (made only when the
/// chain or the setup needs them and does not make them itself), extensions, setup files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Setup {
    /// Roles production has (`roles = [...]`).
    pub roles: Vec<DeclaredRole>,
    /// Extensions production has that no migration creates (`extensions = [...]`).
    pub extensions: Vec<String>,
    /// Setup SQL, run in order after the extensions (`setup = [...]`, `--setup FILE`).
    pub files: Vec<SetupFile>,
}

/// A setup file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("setup file {}: {source}; check the path given with `setup = [...]` or --setup", path.display())]
pub struct SetupError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub source: std::io::Error,
}

impl Setup {
    /// Reads the setup files at `paths`.
    pub fn read_files(paths: &[PathBuf]) -> Result<Vec<SetupFile>, SetupError> {
        paths
            .iter()
            .map(|path| {
                std::fs::read_to_string(path)
                    .map(|text| SetupFile { path: path.clone(), text })
                    .map_err(|source| SetupError { path: path.clone(), source })
            })
            .collect()
    }

    /// Whether the setup makes anything inside a database (extensions, setup files).
    pub fn makes_database_objects(&self) -> bool {
        !self.extensions.is_empty() || !self.files.is_empty()
    }

    /// This setup with `other`'s roles, extensions and files added after its own.
    pub fn and(mut self, other: Setup) -> Setup {
        self.roles.extend(other.roles);
        self.extensions.extend(other.extensions);
        self.files.extend(other.files);
        self
    }

    /// The SQL that runs in each new database once the roles exist: the extensions, then the
    /// setup files in order. Roles are the server's, not a database's: a setup's `CREATE ROLE`
    /// makes its role for the first database and is skipped for the next.
    pub fn database_sql(&self) -> String {
        let extensions = self.extensions.iter().map(|e| format!("CREATE EXTENSION IF NOT EXISTS {} CASCADE;\n", quote_ident_if_needed(e)));
        extensions.chain(self.files.iter().map(|f| format!("{}\n", roles_once(&f.text)))).collect()
    }

    /// The roles made before SQL with role use `uses` (the chain's files, a schema) runs: every
    /// role the setup or that SQL names but neither creates (also inside `DO` blocks), with its
    /// declared attributes (no login when undeclared), and every declared role they do not
    /// create.
    pub fn roles_needed(&self, uses: &[RoleUse]) -> Vec<RoleAttributes> {
        let own: Vec<RoleUse> = self.files.iter().map(|f| RoleUse::of(&f.text)).collect();
        let created: BTreeSet<&String> = own.iter().chain(uses).flat_map(|u| &u.created).collect();
        let named: BTreeSet<&String> = own.iter().chain(uses).flat_map(|u| &u.named).collect();
        let declared: Vec<RoleAttributes> = self.roles.iter().map(DeclaredRole::attributes).collect();
        let mut needed: Vec<RoleAttributes> = declared.iter().filter(|r| !created.contains(&r.name)).cloned().collect();
        needed.extend(
            named
                .into_iter()
                .filter(|name| !created.contains(name) && !declared.iter().any(|d| &d.name == *name))
                .map(|name| RoleAttributes { name: name.clone(), ..RoleAttributes::default() }),
        );
        needed
    }

    /// The roles the setup files create.
    pub fn roles_it_creates(&self) -> BTreeSet<String> {
        self.files.iter().flat_map(|f| created_roles(&f.text)).collect()
    }

    /// The roles SQL with role use `uses` (the chain) creates itself, the setup's own left out:
    /// a baseline creates these.
    pub fn roles_created_by(&self, uses: &[RoleUse]) -> BTreeSet<String> {
        let by_setup = self.roles_it_creates();
        uses.iter().flat_map(|u| &u.created).filter(|r| !by_setup.contains(*r)).cloned().collect()
    }

    /// The setup files' paths, for messages.
    pub fn describe(&self) -> String {
        let files: Vec<String> = self.files.iter().map(|f| f.path.display().to_string()).collect();
        files.join(", ")
    }
}

/// `sql` with each top-level `CREATE ROLE/USER/GROUP` run only where the role is missing.
pub fn roles_once(sql: &str) -> String {
    let (statements, _) = crate::migration::split_statements(sql, 0..sql.len());
    let mut out = String::with_capacity(sql.len());
    let mut at = 0;
    for statement in statements {
        let text = &sql[statement.span.clone()];
        if created_roles(text).is_empty() || text.trim_start().to_ascii_lowercase().starts_with("do") {
            continue;
        }
        out.push_str(&sql[at..statement.span.start]);
        out.push_str(&format!(
            "DO $squashmate$ BEGIN EXECUTE {}; EXCEPTION WHEN duplicate_object THEN NULL; END $squashmate$",
            quote_literal(text)
        ));
        at = statement.span.end;
    }
    out.push_str(&sql[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SetupFile {
        SetupFile { path: PathBuf::from("setup.sql"), text: text.into() }
    }

    #[test]
    fn roles_the_chain_makes_itself_are_never_made_for_it() {
        let setup = Setup {
            roles: vec![
                DeclaredRole::WithAttributes(RoleAttributes { name: "app".into(), login: true, ..RoleAttributes::default() }),
                DeclaredRole::Name("made_by_chain".into()),
            ],
            extensions: vec![],
            files: vec![file("create role authenticated nologin; grant usage on schema auth to anon;")],
        };
        let chain = [
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'svc') THEN CREATE ROLE svc BYPASSRLS LOGIN; END IF; END $$;",
            "create user made_by_chain; grant select on t to svc, reader, authenticated, \"Mixed Case\";",
        ];
        let uses: Vec<RoleUse> = chain.iter().map(|sql| RoleUse::of(sql)).collect();
        let needed: Vec<(String, String)> = setup.roles_needed(&uses).into_iter().map(|r| (r.name.clone(), r.options())).collect();
        assert_eq!(
            needed,
            [
                ("app".to_string(), "NOSUPERUSER NOCREATEDB NOCREATEROLE LOGIN NOREPLICATION NOBYPASSRLS".to_string()),
                ("Mixed Case".into(), "NOSUPERUSER NOCREATEDB NOCREATEROLE NOLOGIN NOREPLICATION NOBYPASSRLS".into()),
                ("anon".into(), "NOSUPERUSER NOCREATEDB NOCREATEROLE NOLOGIN NOREPLICATION NOBYPASSRLS".into()),
                ("reader".into(), "NOSUPERUSER NOCREATEDB NOCREATEROLE NOLOGIN NOREPLICATION NOBYPASSRLS".into()),
            ]
        );
        let created: Vec<String> = setup.roles_created_by(&uses).into_iter().collect();
        assert_eq!(created, ["made_by_chain", "svc"]);
        assert_eq!(setup.roles_it_creates().into_iter().collect::<Vec<_>>(), ["authenticated"]);
    }

    #[test]
    fn declared_roles_read_as_names_or_with_attributes() {
        #[derive(Deserialize)]
        struct Roles {
            roles: Vec<DeclaredRole>,
        }
        let roles: Roles = toml::from_str("roles = [\"plain\", { name = \"app\", login = true, bypassrls = false }]").unwrap();
        assert_eq!(roles.roles[0].attributes().name, "plain");
        assert!(roles.roles[1].attributes().login);
        let sql = roles.roles[1].attributes().create_if_missing_sql();
        assert!(sql.contains("WHERE rolname = 'app') THEN CREATE ROLE app WITH NOSUPERUSER"), "{sql}");
        assert!(toml::from_str::<Roles>("roles = [{ name = \"x\", logn = true }]").is_err());
        let setup = Setup {
            extensions: vec!["postgis".into()],
            files: vec![file("create schema auth;\ncreate role anon nologin;")],
            ..Setup::default()
        };
        assert_eq!(
            setup.database_sql(),
            "CREATE EXTENSION IF NOT EXISTS postgis CASCADE;\ncreate schema auth;\nDO $squashmate$ BEGIN EXECUTE 'create role anon nologin'; EXCEPTION WHEN duplicate_object THEN NULL; END $squashmate$;\n"
        );
    }
}
