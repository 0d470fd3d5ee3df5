//! Who must act on a failed statement: the migration's author, or whoever sets up the server
//! and squashmate's replays (an extension or a role the database lacks). Read from the
//! SQLSTATE and PostgreSQL's message alone, so every command words the same failure alike.

use std::sync::LazyLock;

use regex::Regex;

/// The real fix for a failed statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remedy {
    /// The statement itself must change.
    Migration,
    /// The server has no files for this extension (`CREATE EXTENSION` cannot work anywhere on it).
    InstallExtension(String),
    /// An object of this extension is used where the extension was not created.
    CreateExtension {
        /// The extension.
        extension: String,
        /// The object the statement names, e.g. `type "geometry"`.
        object: String,
    },
    /// The role does not exist on the server.
    MissingRole(String),
    /// The role exists already (roles are server-wide).
    RoleExists(String),
}

/// Objects that come from a contrib or well-known extension: a name pattern and the extension.
const EXTENSION_OBJECTS: &[(&str, &str)] = &[
    (r"^(geometry|geography|box2d|box3d|raster|st_\w+|postgis_\w+)$", "postgis"),
    (r"^(vector|halfvec|sparsevec|vector_\w+_ops|ivfflat|hnsw)$", "vector"),
    (r"^(hstore|akeys|avals|skeys|svals|hstore_to_json)$", "hstore"),
    (r"^citext$", "citext"),
    (r"^(cube|cube_\w+)$", "cube"),
    (r"^(earth|ll_to_earth|earth_distance|earth_box)$", "earthdistance"),
    (r"^(gin_trgm_ops|gist_trgm_ops|similarity|word_similarity|show_trgm)$", "pg_trgm"),
    (r"^(uuid_generate_v1|uuid_generate_v1mc|uuid_generate_v3|uuid_generate_v4|uuid_generate_v5|uuid_nil)$", "uuid-ossp"),
    (r"^(crypt|gen_salt|digest|hmac|pgp_sym_encrypt|pgp_sym_decrypt|armor|dearmor)$", "pgcrypto"),
    (r"^(ltree|lquery|ltxtquery|nlevel|subltree|subpath)$", "ltree"),
    (r"^(unaccent)$", "unaccent"),
    (r"^(btree_gist|gbtreekey\w*)$", "btree_gist"),
];

impl Remedy {
    /// The remedy for a statement that failed with `sqlstate` and PostgreSQL's `message`.
    pub fn of(sqlstate: &str, message: &str) -> Self {
        static CONTROL_FILE: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r#"extension control file "[^"]*/([^/"]+)\.control"|extension "([^"]+)" is not available"#).expect("a valid regex")
        });
        static NAMED: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r#"^(type|function|operator class|access method|operator) "?([^"(\s]+)"?"#).expect("a valid regex")
        });
        static ROLE: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r#"^role "([^"]+)" (does not exist|already exists)"#).expect("a valid regex"));
        if let Some(c) = CONTROL_FILE.captures(message) {
            return Remedy::InstallExtension(c.get(1).or(c.get(2)).map_or("", |m| m.as_str()).to_string());
        }
        if let Some(c) = ROLE.captures(message) {
            let name = c[1].to_string();
            return if &c[2] == "already exists" { Remedy::RoleExists(name) } else { Remedy::MissingRole(name) };
        }
        if matches!(sqlstate, "42704" | "42883")
            && let Some(c) = NAMED.captures(message)
        {
            let name = c[2].rsplit('.').next().unwrap_or(&c[2]).to_lowercase();
            if let Some(extension) = extension_of(&name) {
                return Remedy::CreateExtension { extension: extension.to_string(), object: format!("{} \"{name}\"", &c[1]) };
            }
        }
        Remedy::Migration
    }

    /// What to do, as a `next:` line says it; `way_note` says what became of the file.
    pub fn next(&self, way_note: &str) -> String {
        match self {
            Remedy::Migration => format!("fix this statement in the migration ({way_note})"),
            Remedy::InstallExtension(name) => format!(
                "the server has no files for the extension {name}: install its package on the server (e.g. the \
                 postgresql-<major>-{name} package, or its source build), or point --pg at a server that has it; \
                 the migration is not at fault ({way_note})"
            ),
            Remedy::CreateExtension { extension, object } => format!(
                "{object} comes from the extension {extension}, which this database does not have: if production has it, \
                 declare `extensions = [\"{extension}\"]` in db/squash.toml (or a --setup file) so squashmate's servers \
                 create it first; otherwise add `CREATE EXTENSION IF NOT EXISTS {extension};` to a migration before this one ({way_note})"
            ),
            Remedy::MissingRole(name) => format!(
                "the role {name} does not exist on this server: if production has it, declare `roles = [\"{name}\"]` in \
                 db/squash.toml (or a --setup file) so squashmate's servers make it, and create it on the server you \
                 migrate; otherwise create it in a migration before this one ({way_note})"
            ),
            Remedy::RoleExists(name) => format!(
                "the role {name} exists on this server already (roles are server-wide: another database, the setup, or \
                 `roles = [...]` in db/squash.toml made it): make the migration's CREATE ROLE conditional \
                 (DO … IF NOT EXISTS), or drop {name} from `roles = [...]` if the chain creates it itself ({way_note})"
            ),
        }
    }
}

/// The extension an object of this (lower-case, unqualified) name comes from.
fn extension_of(name: &str) -> Option<&'static str> {
    static PATTERNS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
        EXTENSION_OBJECTS.iter().map(|(pattern, extension)| (Regex::new(pattern).expect("a valid regex"), *extension)).collect()
    });
    PATTERNS.iter().find(|(pattern, _)| pattern.is_match(name)).map(|(_, extension)| *extension)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_extension_package_is_the_server_s() {
        let pg15 =
            r#"could not open extension control file "/usr/share/postgresql/15/extension/vector.control": No such file or directory"#;
        assert_eq!(Remedy::of("58P01", pg15), Remedy::InstallExtension("vector".into()));
        let pg16 = r#"extension "vector" is not available — Could not open extension control file "/x/vector.control""#;
        assert_eq!(Remedy::of("0A000", pg16), Remedy::InstallExtension("vector".into()));
    }

    #[test]
    fn objects_of_an_extension_name_it() {
        let remedy = Remedy::of("42704", r#"type "geometry" does not exist"#);
        assert_eq!(remedy, Remedy::CreateExtension { extension: "postgis".into(), object: r#"type "geometry""#.into() });
        assert!(remedy.next("x").contains(r#"extensions = ["postgis"]"#), "{}", remedy.next("x"));
        let function = Remedy::of("42883", "function st_makepoint(integer, integer) does not exist");
        assert!(matches!(function, Remedy::CreateExtension { ref extension, .. } if extension == "postgis"), "{function:?}");
        let opclass = Remedy::of("42704", r#"operator class "gin_trgm_ops" does not exist for access method "gin""#);
        assert!(matches!(opclass, Remedy::CreateExtension { ref extension, .. } if extension == "pg_trgm"), "{opclass:?}");
        let qualified = Remedy::of("42704", r#"type "public.citext" does not exist"#);
        assert!(matches!(qualified, Remedy::CreateExtension { ref extension, .. } if extension == "citext"), "{qualified:?}");
    }

    #[test]
    fn roles_are_named() {
        assert_eq!(Remedy::of("42704", r#"role "reporting" does not exist"#), Remedy::MissingRole("reporting".into()));
        assert_eq!(Remedy::of("42710", r#"role "app" already exists"#), Remedy::RoleExists("app".into()));
        assert!(Remedy::MissingRole("reporting".into()).next("n").contains(r#"roles = ["reporting"]"#));
    }

    #[test]
    fn everything_else_is_the_migration_s() {
        assert_eq!(Remedy::of("42P01", r#"relation "missing_table" does not exist"#), Remedy::Migration);
        assert_eq!(Remedy::of("42704", r#"type "money2" does not exist"#), Remedy::Migration);
        assert_eq!(Remedy::of("23505", "duplicate key value violates unique constraint"), Remedy::Migration);
        assert!(Remedy::Migration.next("nothing was recorded").starts_with("fix this statement in the migration"));
    }
}
