//! Which retired tables and columns a function's body uses, read from its parse tree (PL/pgSQL
//! through pg_query's PL/pgSQL parser, then every SQL text inside it; SQL functions directly):
//! pure, so the rules are unit-tested without a server. A body that names a retired table in a
//! string (dynamic SQL) counts too: it may run it.

use std::collections::BTreeSet;

use serde_json::Value;

use super::plan::{ColumnName, TableName};

/// A function as the catalog gives it.
#[derive(Debug, Clone)]
pub struct Routine {
    /// `pg_get_functiondef` (what the PL/pgSQL parser reads).
    pub definition: String,
    /// `prosrc`: an SQL function's statements.
    pub source: String,
    /// `plpgsql` or `sql`.
    pub language: String,
    /// The tables whose triggers call it (their `NEW` and `OLD` are rows of these).
    pub trigger_tables: Vec<TableName>,
}

/// One use of a retired object by a routine.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Use {
    /// The body names the table in a statement.
    Table(TableName),
    /// The body names the column (of a statement on its table, or as `NEW.c`/`OLD.c` of a
    /// trigger on its table).
    Column(ColumnName),
    /// A string in the body names the table: dynamic SQL may use it.
    TableInString(TableName),
}

impl Use {
    /// The retired object, as the plan names it.
    pub fn object(&self) -> String {
        match self {
            Use::Table(t) | Use::TableInString(t) => t.readable(),
            Use::Column(c) => format!("{}.{}", c.table.readable(), crate::sql::quote_ident_if_needed(&c.column)),
        }
    }

    /// How the routine uses it, for people.
    pub fn how(&self) -> &'static str {
        match self {
            Use::Table(_) => "names retired table",
            Use::Column(_) => "uses retired column",
            Use::TableInString(_) => "has a string (dynamic SQL) naming retired table",
        }
    }
}

/// What the SQL inside a body mentions.
#[derive(Debug, Default)]
struct Mentions {
    /// (schema, relation) of every relation named; schema empty when unqualified.
    relations: Vec<(String, String)>,
    /// Every column reference's fields (`["new", "c"]`, `["t", "c"]`, `["c"]`).
    column_refs: Vec<Vec<String>>,
    /// INSERT column lists and UPDATE SET targets.
    targets: Vec<String>,
    /// String constants.
    strings: Vec<String>,
}

impl Mentions {
    fn names(&self, table: &TableName) -> bool {
        self.relations.iter().any(|(schema, name)| name == &table.name && (schema.is_empty() || schema == &table.schema))
    }
}

/// The retired `tables` and `columns` that `routine` uses.
pub fn routine_uses(routine: &Routine, tables: &[TableName], columns: &[ColumnName]) -> Vec<Use> {
    let statements = match routine.language.as_str() {
        "plpgsql" => plpgsql_statements(&routine.definition),
        _ => Some(vec![routine.source.clone()]),
    };
    let mut uses = BTreeSet::new();
    // A body the parser cannot read is read as text: where SQL would name a retired table.
    let unread = |uses: &mut BTreeSet<Use>| {
        uses.extend(tables.iter().filter(|t| sql_names_table(&routine.source, &t.name)).map(|t| Use::Table(t.clone())));
    };
    let Some(statements) = statements else {
        unread(&mut uses);
        return uses.into_iter().collect();
    };
    for sql in statements {
        let Some(mentions) = mentions(&sql) else {
            unread(&mut uses);
            continue;
        };
        for table in tables {
            if mentions.names(table) {
                uses.insert(Use::Table(table.clone()));
            } else if mentions.strings.iter().any(|s| sql_names_table(s, &table.name)) {
                uses.insert(Use::TableInString(table.clone()));
            }
        }
        for column in columns {
            let on_table = mentions.names(&column.table);
            let as_row = routine.trigger_tables.contains(&column.table);
            let used = mentions.column_refs.iter().any(|fields| {
                let last = fields.last().is_some_and(|f| f == &column.column);
                let of_row = fields.len() == 2 && (fields[0] == "new" || fields[0] == "old");
                last && ((on_table && !of_row) || (as_row && of_row))
            }) || (on_table && mentions.targets.iter().any(|t| t == &column.column));
            if used {
                uses.insert(Use::Column(column.clone()));
            }
        }
    }
    uses.into_iter().collect()
}

/// Whether a string reads as SQL naming table `name`: after `FROM`, `INTO`, `UPDATE`, `JOIN`,
/// `TABLE` or `TRUNCATE` (possibly schema-qualified, also as `%I.name`), so that a message
/// that merely mentions the word is no use.
fn sql_names_table(text: &str, name: &str) -> bool {
    static TARGET: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(?i)\b(?:from|into|update|join|table|truncate)\s+(?:only\s+)?((?:[\w%"$]+\.)?"?[\w$]+"?)"#)
            .expect("a valid regex")
    });
    TARGET.captures_iter(text).any(|c| names_word(c[1].rsplit('.').next().unwrap_or_default().trim_matches('"'), name))
}

/// Whether `text` names `word` as an identifier (case-insensitive, not inside a longer name).
fn names_word(text: &str, word: &str) -> bool {
    let (text, word) = (text.to_lowercase(), word.to_lowercase());
    let is_name = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    text.match_indices(&word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_name) && !after.is_some_and(is_name)
    })
}

/// Every SQL text a PL/pgSQL function runs or evaluates (statements, expressions, assignment
/// targets); `None` when the definition does not parse.
fn plpgsql_statements(definition: &str) -> Option<Vec<String>> {
    let tree = plpgsql_tree(definition)?;
    let mut queries = Vec::new();
    collect_queries(&tree, &mut queries);
    Some(queries)
}

/// libpg_query's PL/pgSQL parse tree as JSON. Read through its C entry point because
/// `pg_query::parse_plpgsql` (18.1) fails on every trigger function: libpg_query prints each
/// datum it does not describe (the `TG_*` variables) as `{}}`, which is not JSON. `,{}}` and
/// `[{}}` never occur in valid JSON, so they are mended to `,{}` and `[{}` before parsing.
fn plpgsql_tree(definition: &str) -> Option<Value> {
    #[repr(C)]
    struct ParseResult {
        plpgsql_funcs: *mut std::os::raw::c_char,
        error: *mut std::os::raw::c_void,
    }
    unsafe extern "C" {
        fn pg_query_parse_plpgsql(input: *const std::os::raw::c_char) -> ParseResult;
        fn pg_query_free_plpgsql_parse_result(result: ParseResult);
    }
    let input = std::ffi::CString::new(definition).ok()?;
    // SAFETY: libpg_query's documented entry point, given a NUL-terminated string; its result
    // is read only before it is freed with the matching function, exactly once.
    let text = unsafe {
        let result = pg_query_parse_plpgsql(input.as_ptr());
        let text = (result.error.is_null() && !result.plpgsql_funcs.is_null())
            .then(|| std::ffi::CStr::from_ptr(result.plpgsql_funcs).to_string_lossy().into_owned());
        pg_query_free_plpgsql_parse_result(result);
        text
    }?;
    serde_json::from_str(&mend_plpgsql_json(&text)).ok()
}

/// See [`plpgsql_tree`].
fn mend_plpgsql_json(text: &str) -> String {
    let mut mended = text.replace("[{}}", "[{}");
    while mended.contains(",{}}") {
        mended = mended.replace(",{}}", ",{}");
    }
    mended
}

fn collect_queries(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("query", Value::String(sql)) => out.push(sql.clone()),
                    _ => collect_queries(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_queries(v, out)),
        _ => {}
    }
}

/// What one SQL text mentions (`None`: it does not parse). A PL/pgSQL expression is not a
/// statement: it is read as `SELECT expr`; an assignment `target := expr` as its target and its
/// expression.
fn mentions(sql: &str) -> Option<Mentions> {
    let mut found = Mentions::default();
    let mut read = |text: &str| {
        let parsed = pg_query::parse(text, 0).or_else(|_| pg_query::parse(&format!("SELECT {text}"), 0)).ok()?;
        walk(&serde_json::to_value(&parsed.protobuf).ok()?, &mut found);
        Some(())
    };
    match assignment(sql) {
        Some((target, expression)) => read(target).and(read(expression))?,
        None => read(sql)?,
    }
    Some(found)
}

/// `target := expression` (or `=`), outside quotes and parentheses.
fn assignment(sql: &str) -> Option<(&str, &str)> {
    let at = sql.find(":=")?;
    let target = sql[..at].trim();
    let plain = target.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '"' | '[' | ']' | ' ' | '$'));
    plain.then(|| (target, sql[at + 2..].trim()))
}

fn walk(value: &Value, found: &mut Mentions) {
    match value {
        Value::Object(map) => {
            // A RangeVar: wrapped as a node in a FROM list, bare where a statement's field
            // holds one (INSERT's relation), so it is known by its shape.
            if let Some(Value::String(relation)) = map.get("relname") {
                let schema = map.get("schemaname").and_then(Value::as_str).unwrap_or("");
                found.relations.push((schema.to_string(), relation.clone()));
            }
            if let Some(Value::Object(column)) = map.get("ColumnRef") {
                let fields = column.get("fields").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
                found
                    .column_refs
                    .push(fields.iter().filter_map(|f| f.pointer("/node/String/sval").and_then(Value::as_str)).map(String::from).collect());
            }
            if let Some(Value::Object(target)) = map.get("ResTarget") {
                if let Some(name) = target.get("name").and_then(Value::as_str).filter(|n| !n.is_empty()) {
                    found.targets.push(name.to_string());
                }
            }
            if let Some(text) = map.get("AConst").and_then(|c| c.pointer("/val/Sval/sval")).and_then(Value::as_str) {
                found.strings.push(text.to_string());
            }
            map.values().for_each(|v| walk(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str) -> TableName {
        TableName { schema: "public".into(), name: name.into() }
    }

    fn column(t: &str, c: &str) -> ColumnName {
        ColumnName { table: table(t), column: c.into() }
    }

    fn plpgsql(body: &str, trigger_tables: Vec<TableName>) -> Routine {
        Routine {
            definition: format!("CREATE OR REPLACE FUNCTION public.f() RETURNS trigger LANGUAGE plpgsql AS $function$\n{body}\n$function$"),
            source: body.into(),
            language: "plpgsql".into(),
            trigger_tables,
        }
    }

    #[test]
    fn an_audit_trigger_writing_a_retired_table_uses_it() {
        let f = plpgsql("BEGIN\n  INSERT INTO public.legacy_audit (row_id) VALUES (NEW.id);\n  RETURN NEW;\nEND", vec![table("agents")]);
        assert_eq!(routine_uses(&f, &[table("legacy_audit"), table("agents")], &[]), [Use::Table(table("legacy_audit"))]);
        let unqualified = plpgsql("BEGIN\n  IF EXISTS (SELECT 1 FROM legacy_audit) THEN RETURN NULL; END IF;\n  RETURN NEW;\nEND", vec![]);
        assert_eq!(routine_uses(&unqualified, &[table("legacy_audit")], &[]), [Use::Table(table("legacy_audit"))]);
        let other_schema = TableName { schema: "archive".into(), name: "legacy_audit".into() };
        assert!(routine_uses(&f, &[other_schema], &[]).is_empty(), "public.legacy_audit is not archive.legacy_audit");
    }

    #[test]
    fn dynamic_sql_naming_a_retired_table_counts() {
        let f = plpgsql(
            "BEGIN\n  EXECUTE format('DELETE FROM %I.legacy_audit WHERE id = $1', 'public') USING OLD.id;\n  RETURN OLD;\nEND",
            vec![],
        );
        assert_eq!(routine_uses(&f, &[table("legacy_audit")], &[]), [Use::TableInString(table("legacy_audit"))]);
        let look_alike = plpgsql("BEGIN\n  RAISE NOTICE 'legacy_audit is retired, legacy_audits_v2 is fine';\n  RETURN OLD;\nEND", vec![]);
        assert!(routine_uses(&look_alike, &[table("legacy_audit")], &[]).is_empty());
    }

    #[test]
    fn columns_are_used_through_their_table_or_the_trigger_row() {
        let retired = [column("agents", "legacy_flag")];
        let assigns = plpgsql("BEGIN\n  NEW.legacy_flag := coalesce(NEW.legacy_flag, false);\n  RETURN NEW;\nEND", vec![table("agents")]);
        assert_eq!(routine_uses(&assigns, &[], &retired), [Use::Column(retired[0].clone())]);
        let other_table = plpgsql("BEGIN\n  NEW.legacy_flag := true;\n  RETURN NEW;\nEND", vec![table("teams")]);
        assert!(routine_uses(&other_table, &[], &retired).is_empty(), "NEW of another table");
        let updates = plpgsql("BEGIN\n  UPDATE public.agents SET legacy_flag = true WHERE id = 1;\n  RETURN NULL;\nEND", vec![]);
        assert_eq!(routine_uses(&updates, &[], &retired), [Use::Column(retired[0].clone())]);
        let untouched = plpgsql("BEGIN\n  UPDATE public.agents SET name = 'x' WHERE id = 1;\n  RETURN NULL;\nEND", vec![]);
        assert!(routine_uses(&untouched, &[], &retired).is_empty());
    }

    #[test]
    fn sql_functions_are_read_as_statements() {
        let f = Routine {
            definition: String::new(),
            source: "SELECT count(*) FROM public.legacy_audit WHERE kind = 'x'".into(),
            language: "sql".into(),
            trigger_tables: vec![],
        };
        assert_eq!(routine_uses(&f, &[table("legacy_audit")], &[]), [Use::Table(table("legacy_audit"))]);
        let insert = Routine { source: "INSERT INTO agents (name, legacy_flag) VALUES ($1, true)".into(), ..f };
        assert_eq!(routine_uses(&insert, &[], &[column("agents", "legacy_flag")]), [Use::Column(column("agents", "legacy_flag"))]);
    }

    #[test]
    fn the_plpgsql_trees_libpg_query_prints_are_mended() {
        assert_eq!(mend_plpgsql_json(r#"[{"a":[{"r":1},{}},{}},{"b":{}}]}]"#), r#"[{"a":[{"r":1},{},{},{"b":{}}]}]"#);
        assert_eq!(mend_plpgsql_json(r#"{"d":[{}},{}}]}"#), r#"{"d":[{},{}]}"#);
        assert!(plpgsql_tree("CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$").is_some());
        assert!(plpgsql_tree("CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW END $$").is_none());
    }

    #[test]
    fn a_body_the_parser_cannot_read_is_read_as_text() {
        let unreadable = Routine {
            definition: "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN INSERT INTO legacy_audit VALUES (1) END $$".into(),
            source: " BEGIN INSERT INTO legacy_audit VALUES (1) END ".into(),
            language: "plpgsql".into(),
            trigger_tables: vec![],
        };
        assert_eq!(routine_uses(&unreadable, &[table("legacy_audit"), table("agents")], &[]), [Use::Table(table("legacy_audit"))]);
        let sql = Routine { language: "sql".into(), source: "SELECT * FROM legacy_audit WHERE".into(), ..unreadable };
        assert_eq!(routine_uses(&sql, &[table("legacy_audit")], &[]), [Use::Table(table("legacy_audit"))]);
    }

    #[test]
    fn words_are_whole_identifiers() {
        assert!(names_word("INSERT INTO Legacy_Audit", "legacy_audit"));
        assert!(names_word("public.legacy_audit;", "legacy_audit"));
        assert!(!names_word("legacy_audit_v2", "legacy_audit"));
        assert!(!names_word("my_legacy_audit", "legacy_audit"));
        assert!(sql_names_table("DELETE FROM %I.legacy_audit WHERE id = $1", "legacy_audit"));
        assert!(sql_names_table("insert into \"legacy_audit\" values ($1)", "legacy_audit"));
        assert!(sql_names_table("TRUNCATE ONLY public.legacy_audit", "legacy_audit"));
        assert!(!sql_names_table("legacy_audit is cleaned nightly", "legacy_audit"), "a message, not SQL");
        assert!(!sql_names_table("select * from legacy_audit_v2", "legacy_audit"));
    }
}
