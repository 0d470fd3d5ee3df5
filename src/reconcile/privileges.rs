//! Privileges as typed grants, read once from what the catalog lists (`app:SELECT WITH GRANT
//! OPTION`) or from an ACL (`app=a*r/owner`), and the statements that take one set of grants
//! to another, grant options included: what is taken away apart from what is given, so that
//! every revoke can run before every grant (a table-wide `REVOKE UPDATE` also takes a column's).

use std::collections::BTreeMap;

/// Every privilege, as an ACL letter and as SQL names it.
const PRIVILEGES: [(char, &str); 11] = [
    ('r', "SELECT"),
    ('a', "INSERT"),
    ('w', "UPDATE"),
    ('d', "DELETE"),
    ('D', "TRUNCATE"),
    ('x', "REFERENCES"),
    ('t', "TRIGGER"),
    ('X', "EXECUTE"),
    ('U', "USAGE"),
    ('C', "CREATE"),
    ('m', "MAINTAIN"),
];

/// One privilege held by one grantee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant<'a> {
    /// `PUBLIC`, or a role as SQL names it (quoted where needed).
    pub grantee: &'a str,
    /// `SELECT`, `EXECUTE`, …
    pub privilege: &'static str,
    /// Whether the grantee may grant it on (`WITH GRANT OPTION`).
    pub grantable: bool,
}

/// Grants as the catalog lists an object's (`app:SELECT, public:EXECUTE WITH GRANT OPTION`,
/// or `none` for a routine nobody may execute); `None` when an entry does not read as one.
pub fn from_list(listed: &str) -> Option<Vec<Grant<'_>>> {
    if listed == "none" {
        return Some(Vec::new());
    }
    crate::sql::split_list(listed)
        .into_iter()
        .map(|entry| {
            let (entry, grantable) = match entry.strip_suffix(" WITH GRANT OPTION") {
                Some(entry) => (entry, true),
                None => (entry, false),
            };
            let (grantee, name) = entry.rsplit_once(':')?;
            let privilege = PRIVILEGES.iter().find(|(_, p)| *p == name)?.1;
            Some(Grant { grantee: if grantee == "public" { "PUBLIC" } else { grantee }, privilege, grantable })
        })
        .collect()
}

/// Grants of an ACL as PostgreSQL prints it (`app=a*r/owner, =X/owner`: an empty grantee is
/// everyone, `*` after a letter its grant option), leaving out `owner`'s own entry; `None`
/// when an item does not read as one.
pub fn from_acl<'a>(acl: &'a str, owner: &str) -> Option<Vec<Grant<'a>>> {
    let mut grants = Vec::new();
    for item in crate::sql::split_list(acl) {
        let (grantee, rights) = item.rsplit_once('=')?;
        if grantee == owner {
            continue;
        }
        let grantee = if grantee.is_empty() { "PUBLIC" } else { grantee };
        let mut letters = rights.split('/').next().unwrap_or("").chars().peekable();
        while let Some(letter) = letters.next() {
            let privilege = PRIVILEGES.iter().find(|(l, _)| *l == letter)?.1;
            let grantable = letters.next_if_eq(&'*').is_some();
            grants.push(Grant { grantee, privilege, grantable });
        }
    }
    Some(grants)
}

/// What one statement does to one grantee's privileges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verb {
    /// `REVOKE …`: the privileges go.
    Revoke,
    /// `REVOKE GRANT OPTION FOR …`: they stay, without the right to grant them on.
    RevokeGrantOption,
    /// `GRANT …`.
    Grant,
    /// `GRANT … WITH GRANT OPTION`.
    GrantWithOption,
}

impl Verb {
    /// Whether the statement takes something away.
    pub fn takes_away(self) -> bool {
        matches!(self, Verb::Revoke | Verb::RevokeGrantOption)
    }

    /// The statement's words around `privileges … ON objects`: (before, `TO`/`FROM`, after).
    pub fn words(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Verb::Revoke => ("REVOKE", "FROM", ""),
            Verb::RevokeGrantOption => ("REVOKE GRANT OPTION FOR", "FROM", ""),
            Verb::Grant => ("GRANT", "TO", ""),
            Verb::GrantWithOption => ("GRANT", "TO", " WITH GRANT OPTION"),
        }
    }
}

/// The changes taking `was` to `now`: for each verb and grantee (in that order), the
/// privileges, as the catalog orders them.
pub fn changes<'a>(was: &[Grant<'a>], now: &[Grant<'a>]) -> Vec<(Verb, &'a str, Vec<&'static str>)> {
    let held = |grants: &[Grant<'a>], grantee: &str, privilege: &str| {
        grants.iter().find(|g| g.grantee == grantee && g.privilege == privilege).map(|g| g.grantable)
    };
    let mut by: BTreeMap<(Verb, &'a str), Vec<&'static str>> = BTreeMap::new();
    for old in was {
        match held(now, old.grantee, old.privilege) {
            None => by.entry((Verb::Revoke, old.grantee)).or_default().push(old.privilege),
            Some(false) if old.grantable => by.entry((Verb::RevokeGrantOption, old.grantee)).or_default().push(old.privilege),
            Some(_) => {}
        }
    }
    for new in now {
        let verb = if new.grantable { Verb::GrantWithOption } else { Verb::Grant };
        match held(was, new.grantee, new.privilege) {
            None => by.entry((verb, new.grantee)).or_default().push(new.privilege),
            Some(false) if new.grantable => by.entry((Verb::GrantWithOption, new.grantee)).or_default().push(new.privilege),
            Some(_) => {}
        }
    }
    by.into_iter().map(|((verb, grantee), privileges)| (verb, grantee, privileges)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(was: &[Grant<'_>], now: &[Grant<'_>]) -> Vec<String> {
        changes(was, now)
            .into_iter()
            .map(|(verb, who, privileges)| {
                let (before, preposition, after) = verb.words();
                format!("{before} {} ON TABLE t {preposition} {who}{after}", privileges.join(", "))
            })
            .collect()
    }

    #[test]
    fn lists_and_acls_read_as_the_same_grants() {
        let listed = from_list("app:INSERT WITH GRANT OPTION, app:SELECT, public:EXECUTE").unwrap();
        let acl = from_acl("app=a*r/owner, =X/owner, owner=arwdDxt/owner", "owner").unwrap();
        let (mut listed, mut acl) = (listed, acl);
        listed.sort();
        acl.sort();
        assert_eq!(listed, acl);
        assert_eq!(from_list(""), Some(vec![]));
        assert_eq!(from_list("none"), Some(vec![]));
        assert_eq!(from_list("app:FLY"), None, "an unknown privilege is not guessed");
        assert_eq!(from_acl("app=q/owner", "owner"), None);
        let quoted = from_list(r#""a, b":SELECT, app:INSERT"#).unwrap();
        assert_eq!(quoted.iter().map(|g| g.grantee).collect::<Vec<_>>(), [r#""a, b""#, "app"], "a role whose name holds `, `");
        let quoted = from_acl(r#""a, b"=r/owner, app=a/owner"#, "owner").unwrap();
        assert_eq!(quoted.iter().map(|g| g.grantee).collect::<Vec<_>>(), [r#""a, b""#, "app"]);
    }

    #[test]
    fn grant_options_are_given_and_taken_apart_from_the_privileges() {
        let was = from_list("app:SELECT WITH GRANT OPTION, app:UPDATE, bob:SELECT").unwrap();
        let now = from_list("app:SELECT, app:UPDATE WITH GRANT OPTION, app:INSERT, carol:DELETE WITH GRANT OPTION").unwrap();
        assert_eq!(
            written(&was, &now),
            [
                "REVOKE SELECT ON TABLE t FROM bob",
                "REVOKE GRANT OPTION FOR SELECT ON TABLE t FROM app",
                "GRANT INSERT ON TABLE t TO app",
                "GRANT UPDATE ON TABLE t TO app WITH GRANT OPTION",
                "GRANT DELETE ON TABLE t TO carol WITH GRANT OPTION",
            ]
        );
        assert!(changes(&now, &now).is_empty());
        assert!(Verb::RevokeGrantOption.takes_away() && !Verb::GrantWithOption.takes_away());
    }
}
