//! Which migration statement changed an object the setup made (`ALTER TABLE auth.users …`,
//! `CREATE OR REPLACE FUNCTION auth.uid() …`), so a refusal can name its file and line: the
//! first up statement whose own target — not a table it merely references — is the object.

use serde_json::Value;

use crate::migration::MigrationFile;

/// `file:line:col` of the first statement in `files` whose target is the object a pg_dump
/// entry key names (`Name: users; Type: TABLE; Schema: auth`, `Name: users users_pkey; Type:
/// CONSTRAINT; …`, `Name: uid(); Type: FUNCTION; …`), if one is found.
pub fn statement_changing(files: &[MigrationFile], entry_key: &str) -> Option<String> {
    let (schema, name) = object_of(entry_key)?;
    for file in files {
        let text = file.source.text();
        for statement in file.sections.iter().flat_map(|s| &s.up.statements) {
            if targets(&text[statement.span.clone()], &schema, &name) {
                let at = file.source.line_col(statement.span.start);
                return Some(format!("{}:{}:{}", file.path().display(), at.line, at.col));
            }
        }
    }
    None
}

/// The (schema, relation or function name) an entry key is about: a constraint's, trigger's or
/// policy's table (the first word of its name), a function without its arguments.
fn object_of(entry_key: &str) -> Option<(String, String)> {
    let field = |label: &str| entry_key.split("; ").find_map(|part| part.strip_prefix(label)).map(str::to_string);
    let schema = field("Schema: ").filter(|s| s != "-")?;
    let name = field("Name: ")?;
    let name = name.split(['(', ' ']).next()?.to_string();
    Some((schema, name))
}

/// Whether `sql`'s own target (its `relation`, or the function it makes or alters) is
/// `schema.name`.
fn targets(sql: &str, schema: &str, name: &str) -> bool {
    let Ok(parsed) = pg_query::parse(sql, 0) else { return false };
    let Ok(tree) = serde_json::to_value(&parsed.protobuf) else { return false };
    let Some(Value::Object(node)) = tree.pointer("/stmts/0/stmt/node") else { return false };
    let Some((kind, inner)) = node.iter().next() else { return false };
    if kind == "CreateStmt" {
        return false;
    }
    let relation = inner.get("relation").filter(|r| r.get("relname").and_then(Value::as_str) == Some(name));
    if relation.is_some_and(|r| r.get("schemaname").and_then(Value::as_str) == Some(schema)) {
        return true;
    }
    let function = inner.get("funcname").or_else(|| inner.pointer("/func/objname"));
    let parts: Vec<&str> = function
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(|i| i.pointer("/node/String/sval").and_then(Value::as_str)).collect())
        .unwrap_or_default();
    parts == [schema, name]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statement_that_alters_a_setup_object_is_found_not_one_that_references_it() {
        let file = MigrationFile::parse(
            "db/migrations/20240101000000_x.sql",
            "-- migrate:up\ncreate table profiles (id uuid references auth.users (id), owner uuid default auth.uid());\n\
             alter table auth.users add column name text;\n-- migrate:down\n"
                .into(),
        )
        .unwrap();
        let files = [file];
        assert_eq!(
            statement_changing(&files, "Name: users; Type: TABLE; Schema: auth").as_deref(),
            Some("db/migrations/20240101000000_x.sql:3:1")
        );
        assert_eq!(statement_changing(&files, "Name: uid(); Type: FUNCTION; Schema: auth"), None, "a default calling it is no change");
        let function = MigrationFile::parse(
            "db/migrations/20240102000000_y.sql",
            "-- migrate:up\n\ncreate or replace function auth.uid() returns uuid language sql as $$ select null::uuid $$;\n-- migrate:down\n".into(),
        )
        .unwrap();
        assert_eq!(
            statement_changing(&[function], "Name: uid(); Type: FUNCTION; Schema: auth").as_deref(),
            Some("db/migrations/20240102000000_y.sql:3:1")
        );
        assert_eq!(object_of("Name: users users_pkey; Type: CONSTRAINT; Schema: auth"), Some(("auth".into(), "users".into())));
    }
}
