//! `CREATE` statements written from catalog properties, for the kinds PostgreSQL has no
//! `pg_get_*def` for: publications, collations, casts, operators, foreign-data wrappers and
//! foreign servers.

use super::privileges::{Grant, Verb, changes, from_acl, from_list};
use crate::catalog::{DefaultsFor, Granted, Object, ObjectClass, Prop};
use crate::sql::quote_literal;

/// `CREATE PUBLICATION`.
pub fn create_publication(publication: &Object) -> String {
    let scope = match (publication.prop(Prop::AllTables), publication.prop(Prop::Tables)) {
        ("true", _) => " FOR ALL TABLES".to_string(),
        (_, "") => String::new(),
        (_, tables) => format!(" FOR TABLE {tables}"),
    };
    format!(
        "CREATE PUBLICATION {}{scope} WITH (publish = {})",
        publication.name,
        quote_literal(&publication.prop(Prop::Actions).replace(',', ", "))
    )
}

/// `CREATE COLLATION` (libc and ICU providers).
pub fn create_collation(collation: &Object) -> Option<String> {
    let deterministic = if collation.prop(Prop::Deterministic) == "false" { ", deterministic = false" } else { "" };
    let (collate, ctype) = (quote_literal(collation.prop(Prop::Collate)), quote_literal(collation.prop(Prop::Ctype)));
    match collation.prop(Prop::Provider) {
        "c" => Some(format!(
            "CREATE COLLATION {} (provider = libc, lc_collate = {collate}, lc_ctype = {ctype}{deterministic})",
            collation.name
        )),
        "i" => Some(format!("CREATE COLLATION {} (provider = icu, locale = {collate}{deterministic})", collation.name)),
        _ => None,
    }
}

/// `CREATE CAST`; the cast's name is `(source AS target)`.
pub fn create_cast(cast: &Object) -> Option<String> {
    let how = match (cast.prop(Prop::Method), cast.prop(Prop::Function)) {
        ("f", function) if !function.is_empty() => format!("WITH FUNCTION {function}"),
        ("i", _) => "WITH INOUT".to_string(),
        ("b", _) => "WITHOUT FUNCTION".to_string(),
        _ => return None,
    };
    let context = match cast.prop(Prop::Context) {
        "a" => " AS ASSIGNMENT",
        "i" => " AS IMPLICIT",
        _ => "",
    };
    Some(format!("CREATE CAST {} {how}{context}", cast.name))
}

/// An operator's name and argument types from its catalog name `schema.op(left, right)`
/// (`NONE` for a missing side).
fn operator_signature(name: &str) -> Option<(&str, &str, &str)> {
    let (operator, arguments) = name.split_once('(')?;
    let (left, right) = arguments.strip_suffix(')')?.split_once(", ")?;
    Some((operator, left, right))
}

/// `DROP OPERATOR schema.op (left, right)`.
pub fn drop_operator(operator: &Object) -> Option<String> {
    let (name, left, right) = operator_signature(&operator.name)?;
    Some(format!("DROP OPERATOR {name} ({left}, {right})"))
}

/// `CREATE OPERATOR` with its function, argument types, commutator and negator.
pub fn create_operator(operator: &Object) -> Option<String> {
    let (name, left, right) = operator_signature(&operator.name)?;
    let function = operator.prop(Prop::Function).split('(').next().filter(|f| !f.is_empty())?;
    let mut parts = vec![format!("FUNCTION = {function}")];
    if left != "NONE" {
        parts.push(format!("LEFTARG = {left}"));
    }
    if right != "NONE" {
        parts.push(format!("RIGHTARG = {right}"));
    }
    for (property, keyword) in [(Prop::Commutator, "COMMUTATOR"), (Prop::Negator, "NEGATOR")] {
        // `schema.op(left,right)` as regoperator prints it: the operator is what comes before `(`.
        if let Some(other) = operator.prop(property).split('(').next().filter(|o| !o.is_empty()) {
            let (schema, symbol) = other.rsplit_once('.').unwrap_or(("", other));
            let qualified = if schema.is_empty() { symbol.to_string() } else { format!("OPERATOR({schema}.{symbol})") };
            parts.push(format!("{keyword} = {qualified}"));
        }
    }
    Some(format!("CREATE OPERATOR {name} ({})", parts.join(", ")))
}

/// Generic options (`host=a, port=5432`) in `OPTIONS (…)` form.
pub fn options_clause(listed: &[(String, String)]) -> String {
    let options: Vec<String> =
        listed.iter().map(|(key, value)| format!("{} {}", crate::sql::quote_ident_if_needed(key), quote_literal(value))).collect();
    if options.is_empty() { String::new() } else { format!(" OPTIONS ({})", options.join(", ")) }
}

/// `ALTER … OPTIONS (ADD …, SET …, DROP …)` items taking the options `was` to `now`.
pub fn options_change(was: &[(String, String)], now: &[(String, String)]) -> Option<String> {
    let mut items: Vec<String> = Vec::new();
    for (key, value) in now {
        match was.iter().find(|(k, _)| k == key) {
            Some((_, old)) if old == value => {}
            Some(_) => items.push(format!("SET {} {}", crate::sql::quote_ident_if_needed(key), quote_literal(value))),
            None => items.push(format!("ADD {} {}", crate::sql::quote_ident_if_needed(key), quote_literal(value))),
        }
    }
    for (key, _) in was.iter().filter(|(k, _)| !now.iter().any(|(n, _)| n == k)) {
        items.push(format!("DROP {}", crate::sql::quote_ident_if_needed(key)));
    }
    (!items.is_empty()).then(|| format!("OPTIONS ({})", items.join(", ")))
}

/// `CREATE FOREIGN DATA WRAPPER` with its handler, validator and options.
pub fn create_wrapper(wrapper: &Object) -> String {
    let mut sql = format!("CREATE FOREIGN DATA WRAPPER {}", wrapper.name);
    for (property, keyword) in [(Prop::Handler, "HANDLER"), (Prop::Validator, "VALIDATOR")] {
        if !wrapper.prop(property).is_empty() {
            sql.push_str(&format!(" {keyword} {}", wrapper.prop(property)));
        }
    }
    sql + &options_clause(wrapper.options(Prop::Options))
}

/// `CREATE SERVER` with its type, version, wrapper and options.
pub fn create_server(server: &Object) -> String {
    let mut sql = format!("CREATE SERVER {}", server.name);
    if !server.prop(Prop::Type).is_empty() {
        sql.push_str(&format!(" TYPE {}", quote_literal(server.prop(Prop::Type))));
    }
    if !server.prop(Prop::Version).is_empty() {
        sql.push_str(&format!(" VERSION {}", quote_literal(server.prop(Prop::Version))));
    }
    sql.push_str(&format!(" FOREIGN DATA WRAPPER {}", server.prop(Prop::Wrapper)));
    sql + &options_clause(server.options(Prop::Options))
}

/// `CREATE EVENT TRIGGER` with its event, tags and function, and `ALTER … DISABLE` (or
/// `ENABLE REPLICA`/`ALWAYS`) when it is not simply enabled.
pub fn create_event_trigger(trigger: &Object) -> Vec<String> {
    let tags = trigger.prop(Prop::Tags);
    let when = if tags.is_empty() {
        String::new()
    } else {
        let listed: Vec<String> = tags.split(", ").map(quote_literal).collect();
        format!(" WHEN TAG IN ({})", listed.join(", "))
    };
    let mut sql = vec![format!(
        "CREATE EVENT TRIGGER {} ON {}{when} EXECUTE FUNCTION {}",
        trigger.name,
        trigger.prop(Prop::Event),
        trigger.prop(Prop::Function)
    )];
    sql.extend(event_trigger_state(trigger));
    sql
}

/// `ALTER EVENT TRIGGER` for its enabled state (`O` enabled: nothing to say on creation).
pub fn event_trigger_state(trigger: &Object) -> Option<String> {
    let how = match trigger.prop(Prop::Enabled) {
        "D" => "DISABLE",
        "R" => "ENABLE REPLICA",
        "A" => "ENABLE ALWAYS",
        _ => return None,
    };
    Some(format!("ALTER EVENT TRIGGER {} {how}", trigger.name))
}

/// What a `grants` object is about, as `GRANT … ON` names it, and the column list for a column.
pub fn grant_target(granted: &Granted) -> Option<(String, String)> {
    match granted {
        Granted::Object {
            class: class @ (ObjectClass::Table | ObjectClass::Schema | ObjectClass::Function | ObjectClass::Procedure | ObjectClass::Type),
            name,
        } => Some((format!("{} {name}", class.keyword()), String::new())),
        Granted::Column { table, column } => Some((format!("TABLE {table}"), format!(" ({column})"))),
        _ => None,
    }
}

/// `ALTER DEFAULT PRIVILEGES` statements, each with what it does, taking a role's default
/// privileges (`granted`, its ACL as listed) from `was` to `now`; an absent row is
/// PostgreSQL's default (everyone may execute functions and use types made anywhere). `None`
/// for an ACL that does not read, or what are no default privileges.
pub fn default_privilege_changes<'a>(granted: &'a Granted, was: Option<&'a str>, now: Option<&'a str>) -> Option<Vec<(Verb, String)>> {
    let Granted::Defaults { role, schema, objects } = granted else { return None };
    let implicit = match (schema, objects) {
        (None, DefaultsFor::Functions) => vec![Grant { grantee: "PUBLIC", privilege: "EXECUTE", grantable: false }],
        (None, DefaultsFor::Types) => vec![Grant { grantee: "PUBLIC", privilege: "USAGE", grantable: false }],
        _ => Vec::new(),
    };
    let read = |acl: Option<&'a str>| acl.map_or_else(|| Some(implicit.clone()), |acl| from_acl(acl, role));
    let (was, now) = (read(was)?, read(now)?);
    let scope = schema.as_ref().map_or(String::new(), |schema| format!(" IN SCHEMA {schema}"));
    let objects = objects.keyword();
    Some(written(&was, &now, |before, privileges, preposition, who, after| {
        format!("ALTER DEFAULT PRIVILEGES FOR ROLE {role}{scope} {before} {privileges} ON {objects} {preposition} {who}{after}")
    }))
}

/// The statements taking `was` to `now`, each written by `write(before, privileges,
/// preposition, grantee, after)`.
fn written(was: &[Grant<'_>], now: &[Grant<'_>], write: impl Fn(&str, &str, &str, &str, &str) -> String) -> Vec<(Verb, String)> {
    changes(was, now)
        .into_iter()
        .map(|(verb, who, privileges)| {
            let (before, preposition, after) = verb.words();
            (verb, write(before, &privileges.join(", "), preposition, who, after))
        })
        .collect()
}

/// `GRANT` and `REVOKE` statements, each with what it does, taking the privileges listed in
/// `was` to those in `now` on the object a `grants` object names, grant options included;
/// `None` for what cannot be written.
pub fn grant_changes(granted: &Granted, was: &str, now: &str) -> Option<Vec<(Verb, String)>> {
    let (target, columns) = grant_target(granted)?;
    let (was, now) = (from_list(was)?, from_list(now)?);
    Some(written(&was, &now, |before, privileges, preposition, who, after| {
        let listed: Vec<String> = privileges.split(", ").map(|p| format!("{p}{columns}")).collect();
        format!("{before} {} ON {target} {preposition} {who}{after}", listed.join(", "))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Value;

    fn object(kind: crate::catalog::Kind, name: &str, props: &[(Prop, Value)]) -> Object {
        Object { kind, parent: None, name: name.into(), definition_key: None, props: props.iter().cloned().collect() }
    }

    fn text(prop: Prop, value: &str) -> (Prop, Value) {
        (prop, Value::text(value))
    }

    fn options(listed: &[(&str, &str)]) -> Vec<(String, String)> {
        listed.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn casts_operators_and_foreign_objects_are_written_from_their_properties() {
        let cast = object(
            crate::catalog::Kind::Cast,
            "(public.pair AS integer)",
            &[text(Prop::Function, "public.pair_sum(public.pair)"), text(Prop::Context, "a"), text(Prop::Method, "f")],
        );
        assert_eq!(
            create_cast(&cast).unwrap(),
            "CREATE CAST (public.pair AS integer) WITH FUNCTION public.pair_sum(public.pair) AS ASSIGNMENT"
        );
        let operator = object(
            crate::catalog::Kind::Operator,
            "public.~~~(integer, integer)",
            &[text(Prop::Function, "public.far(integer,integer)"), text(Prop::Negator, "public.!~~(integer,integer)")],
        );
        assert_eq!(
            create_operator(&operator).unwrap(),
            "CREATE OPERATOR public.~~~ (FUNCTION = public.far, LEFTARG = integer, RIGHTARG = integer, NEGATOR = OPERATOR(public.!~~))"
        );
        assert_eq!(drop_operator(&operator).unwrap(), "DROP OPERATOR public.~~~ (integer, integer)");
        let listed = Value::options(options(&[("host", "a"), ("port", "5432"), ("note", "a, b=c")]));
        let server = object(crate::catalog::Kind::Server, "s", &[text(Prop::Wrapper, "w"), (Prop::Options, listed)]);
        assert_eq!(create_server(&server), "CREATE SERVER s FOREIGN DATA WRAPPER w OPTIONS (host 'a', port '5432', note 'a, b=c')");
        let (was, now) = (options(&[("host", "a"), ("port", "5432")]), options(&[("host", "b"), ("dbname", "x")]));
        assert_eq!(options_change(&was, &now).unwrap(), "OPTIONS (SET host 'b', ADD dbname 'x', DROP port)");
        assert_eq!(options_change(&was, &was), None);
        let sql = |changes: Option<Vec<(Verb, String)>>| changes.unwrap().into_iter().map(|(_, sql)| sql).collect::<Vec<_>>();
        let on = |name: &str| Granted::parse(name).unwrap();
        assert_eq!(
            sql(grant_changes(&on("table public.t"), "app:SELECT, old:INSERT", "app:SELECT, app:INSERT, public:SELECT")),
            [
                "REVOKE INSERT ON TABLE public.t FROM old",
                "GRANT SELECT ON TABLE public.t TO PUBLIC",
                "GRANT INSERT ON TABLE public.t TO app"
            ]
        );
        assert_eq!(
            sql(grant_changes(&on("column public.t.b"), "app:UPDATE WITH GRANT OPTION", "app:UPDATE")),
            ["REVOKE GRANT OPTION FOR UPDATE (b) ON TABLE public.t FROM app"]
        );
        assert_eq!(grant_changes(&on("default privileges app public r"), "", "x:SELECT"), None);
        assert_eq!(
            sql(default_privilege_changes(&on("default privileges postgres * f"), None, Some("postgres=X/postgres"))),
            ["ALTER DEFAULT PRIVILEGES FOR ROLE postgres REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC"]
        );
        assert_eq!(
            sql(default_privilege_changes(
                &on("default privileges postgres app r"),
                Some("app_reader=r/postgres"),
                Some("app_reader=a*r/postgres")
            )),
            ["ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA app GRANT INSERT ON TABLES TO app_reader WITH GRANT OPTION"]
        );
        assert_eq!(
            sql(default_privilege_changes(&on(r#"default privileges "Data Team" "My Schema" r"#), None, Some(r#"=r/"Data Team""#))),
            [r#"ALTER DEFAULT PRIVILEGES FOR ROLE "Data Team" IN SCHEMA "My Schema" GRANT SELECT ON TABLES TO PUBLIC"#]
        );
    }
}
