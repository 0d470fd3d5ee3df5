//! The catalog queries, one per object kind (one round trip each), all returning text columns
//! named for what they hold (the reader takes them by name).
//! They run inside [`super::introspect`]'s read-only snapshot with `search_path = ''`, so every
//! `pg_get_*def` qualifies names the same way in every session.

use crate::ledger::LedgerTable;

/// Namespaces that are never user schema.
const USER_NS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp'";

/// `oid` in catalog `catalog` does not belong to an extension.
fn not_extension_member(oid: &str, catalog: &str) -> String {
    format!("NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '{catalog}'::regclass AND e.objid = {oid} AND e.deptype = 'e')")
}

/// Relation `c` is not a composite type an extension made (`CREATE TYPE … AS (…)` in an
/// extension script: the type is the extension's member, its relation is not).
fn not_extension_composite(c: &str) -> String {
    format!(
        "NOT ({c}.relkind = 'c' AND EXISTS (SELECT 1 FROM pg_type xt JOIN pg_depend xe ON xe.classid = 'pg_type'::regclass AND xe.objid = xt.oid AND xe.deptype = 'e' WHERE xt.typrelid = {c}.oid))"
    )
}

/// `oid` in catalog `catalog` was not made on its own but with another object (a range type's
/// constructor functions and multirange cast): it comes and goes with that object.
fn not_made_by_another(oid: &str, catalog: &str) -> String {
    format!("NOT EXISTS (SELECT 1 FROM pg_depend i WHERE i.classid = '{catalog}'::regclass AND i.objid = {oid} AND i.deptype = 'i')")
}

/// Schemas: name, comment.
pub fn schemas() -> String {
    format!(
        "SELECT quote_ident(n.nspname) AS name, coalesce(obj_description(n.oid, 'pg_namespace'), '') AS comment FROM pg_namespace n WHERE {USER_NS} AND {}",
        not_extension_member("n.oid", "pg_namespace")
    )
}

/// Extensions: name, version, schema.
pub const EXTENSIONS: &str = "SELECT quote_ident(x.extname) AS name, x.extversion AS version, quote_ident(n.nspname) AS schema FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace WHERE x.extname <> 'plpgsql'";

/// Tables, views, matviews, composite types, foreign tables: qualified name, relkind and
/// properties (a foreign table's server and options).
pub fn relations(ledger: &LedgerTable) -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, c.relkind::text AS relkind, c.relpersistence::text AS persistence,
                coalesce(pg_get_partkeydef(c.oid), '') AS partition_key,
                CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) ELSE '' END AS partition_bound,
                coalesce((SELECT json_agg(p.oid::regclass::text ORDER BY i.inhseqno) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = c.oid)::text, '[]') AS inherits,
                c.relrowsecurity::text AS row_security, c.relforcerowsecurity::text AS force_row_security,
                CASE c.relreplident WHEN 'i' THEN 'using index ' || coalesce((SELECT quote_ident(ic.relname) FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid WHERE x.indrelid = c.oid AND x.indisreplident), '?')
                     ELSE c.relreplident::text END AS replica_identity,
                CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) ELSE '' END AS definition,
                to_json(ARRAY(SELECT o FROM unnest(c.reloptions) o ORDER BY o))::text AS options,
                coalesce(obj_description(c.oid, 'pg_class'), '') AS comment,
                coalesce((SELECT quote_ident(s.srvname) FROM pg_foreign_table ft JOIN pg_foreign_server s ON s.oid = ft.ftserver WHERE ft.ftrelid = c.oid), '') AS foreign_server,
                coalesce((SELECT to_json(ft.ftoptions) FROM pg_foreign_table ft WHERE ft.ftrelid = c.oid)::text, '[]') AS foreign_options
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'c') AND {USER_NS} AND {}
           AND NOT (n.nspname = {} AND c.relname = {} AND c.relkind = 'r')
           AND {}",
        not_extension_member("c.oid", "pg_class"),
        crate::sql::quote_literal(&ledger.schema),
        crate::sql::quote_literal(&ledger.table),
        not_extension_composite("c"),
    )
}

/// Columns of those relations: relation, column, type, not null, default, identity,
/// generated, collation, position among live columns, comment, owned sequence of a serial
/// default, and (PostgreSQL 18 on: NOT NULL is a named constraint) the NOT NULL's name where it
/// is not `<table>_<column>_not_null` — as pg_dump decides whether to print it.
pub fn columns(ledger: &LedgerTable) -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS relation, c.relkind::text AS relkind, quote_ident(a.attname) AS name,
                format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull::text AS not_null,
                coalesce(CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END, '') AS default,
                a.attidentity::text AS identity,
                coalesce(CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END, '') AS generated,
                CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0 THEN (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) ELSE '' END AS collation,
                row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum)::text AS position,
                coalesce(col_description(c.oid, a.attnum), '') AS comment,
                coalesce((SELECT quote_ident(k.conname) FROM pg_constraint k
                          WHERE k.conrelid = c.oid AND k.contype = 'n' AND k.conkey[1] = a.attnum
                            AND k.conname <> c.relname || '_' || a.attname || '_not_null'), '') AS not_null_name,
                coalesce((SELECT s.seqincrement::text || ' ' || s.seqstart::text || ' ' || s.seqmin::text || ' ' || s.seqmax::text || ' ' || s.seqcache::text || ' ' || s.seqcycle::text
                          FROM pg_depend dep JOIN pg_sequence s ON s.seqrelid = dep.objid
                          WHERE dep.refclassid = 'pg_class'::regclass AND dep.refobjid = c.oid AND dep.refobjsubid = a.attnum AND dep.classid = 'pg_class'::regclass AND dep.deptype = 'i'), '') AS identity_sequence
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'c')
           AND {USER_NS} AND {} AND {} AND NOT (n.nspname = {} AND c.relname = {} AND c.relkind = 'r')",
        not_extension_member("c.oid", "pg_class"),
        not_extension_composite("c"),
        crate::sql::quote_literal(&ledger.schema),
        crate::sql::quote_literal(&ledger.table),
    )
}

/// Owned sequences (serial): sequence, owning relation, owning column — to replace their
/// names in defaults.
pub const OWNED_SEQUENCES: &str = "SELECT quote_ident(sn.nspname) || '.' || quote_ident(s.relname) AS sequence, quote_ident(tn.nspname) || '.' || quote_ident(t.relname) AS relation, quote_ident(a.attname) AS column
     FROM pg_depend d
     JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' JOIN pg_namespace sn ON sn.oid = s.relnamespace
     JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
     JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
     WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'";

/// Constraints on tables: table, name, definition, comment.
pub fn constraints(ledger: &LedgerTable) -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS relation, quote_ident(con.conname) AS name,
                pg_get_constraintdef(con.oid) AS definition, coalesce(obj_description(con.oid, 'pg_constraint'), '') AS comment
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE con.contype IN ('p', 'u', 'f', 'c', 'x') AND con.conislocal AND con.conparentid = 0
           AND {USER_NS} AND {} AND NOT (n.nspname = {} AND c.relname = {} AND c.relkind = 'r')",
        not_extension_member("c.oid", "pg_class"),
        crate::sql::quote_literal(&ledger.schema),
        crate::sql::quote_literal(&ledger.table),
    )
}

/// Indexes not backing a constraint: table, name, definition without the name, valid, comment.
pub fn indexes(ledger: &LedgerTable) -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS relation, quote_ident(ic.relname) AS name,
                replace(pg_get_indexdef(i.indexrelid), 'INDEX ' || quote_ident(ic.relname) || ' ON ', 'INDEX ON ') AS definition,
                i.indisvalid::text AS valid, coalesce(obj_description(ic.oid, 'pg_class'), '') AS comment
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
           AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
           AND {USER_NS} AND {} AND NOT (n.nspname = {} AND c.relname = {} AND c.relkind = 'r')",
        not_extension_member("c.oid", "pg_class"),
        crate::sql::quote_literal(&ledger.schema),
        crate::sql::quote_literal(&ledger.table),
    )
}

/// Sequences that are not identity sequences: name, type, parameters, owner column, comment.
pub fn sequences() -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, format_type(s.seqtypid, NULL) AS type,
                s.seqstart::text AS start, s.seqincrement::text AS increment, s.seqmin::text AS min, s.seqmax::text AS max,
                s.seqcache::text AS cache, s.seqcycle::text AS cycle,
                coalesce((SELECT quote_ident(tn.nspname) || '.' || quote_ident(t.relname) || '.' || quote_ident(a.attname)
                          FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
                          JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
                          WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'), '') AS owned_by,
                coalesce(obj_description(c.oid, 'pg_class'), '') AS comment
         FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE {USER_NS} AND {}
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype = 'i')",
        not_extension_member("c.oid", "pg_class"),
    )
}

/// Functions and procedures: qualified name with identity arguments, result, definition, comment.
pub fn functions() -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS name,
                p.prokind::text AS prokind, coalesce(pg_get_function_result(p.oid), '') AS result, pg_get_functiondef(p.oid) AS definition,
                coalesce(obj_description(p.oid, 'pg_proc'), '') AS comment
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE p.prokind IN ('f', 'p') AND {USER_NS} AND {} AND {}",
        not_extension_member("p.oid", "pg_proc"),
        not_made_by_another("p.oid", "pg_proc"),
    )
}

/// Aggregates: qualified name with identity arguments, the `CREATE AGGREGATE` that makes each
/// (every option that differs from its default), comment.
pub fn aggregates() -> String {
    let function = |column: &str, option: &str| format!("CASE WHEN a.{column} <> 0 THEN '{option} = ' || a.{column}::regproc::text END");
    let options = [
        "'SFUNC = ' || a.aggtransfn::regproc::text".to_string(),
        "'STYPE = ' || format_type(a.aggtranstype, NULL)".to_string(),
        "CASE WHEN a.aggtransspace <> 0 THEN 'SSPACE = ' || a.aggtransspace END".to_string(),
        function("aggfinalfn", "FINALFUNC"),
        "CASE WHEN a.aggfinalextra THEN 'FINALFUNC_EXTRA' END".to_string(),
        "CASE WHEN a.aggfinalfn <> 0 AND a.aggfinalmodify <> CASE WHEN a.aggkind = 'n' THEN 'r' ELSE 'w' END
              THEN 'FINALFUNC_MODIFY = ' || CASE a.aggfinalmodify WHEN 'r' THEN 'READ_ONLY' WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END END"
            .to_string(),
        function("aggcombinefn", "COMBINEFUNC"),
        function("aggserialfn", "SERIALFUNC"),
        function("aggdeserialfn", "DESERIALFUNC"),
        "CASE WHEN a.agginitval IS NOT NULL THEN 'INITCOND = ' || quote_literal(a.agginitval) END".to_string(),
        function("aggmtransfn", "MSFUNC"),
        function("aggminvtransfn", "MINVFUNC"),
        "CASE WHEN a.aggmtranstype <> 0 THEN 'MSTYPE = ' || format_type(a.aggmtranstype, NULL) END".to_string(),
        "CASE WHEN a.aggmtransspace <> 0 THEN 'MSSPACE = ' || a.aggmtransspace END".to_string(),
        function("aggmfinalfn", "MFINALFUNC"),
        "CASE WHEN a.aggmfinalextra THEN 'MFINALFUNC_EXTRA' END".to_string(),
        "CASE WHEN a.aggminitval IS NOT NULL THEN 'MINITCOND = ' || quote_literal(a.aggminitval) END".to_string(),
        "CASE WHEN a.aggsortop <> 0 THEN 'SORTOP = OPERATOR(' || (SELECT quote_ident(on_.nspname) || '.' || o.oprname FROM pg_operator o
              JOIN pg_namespace on_ ON on_.oid = o.oprnamespace WHERE o.oid = a.aggsortop) || ')' END"
            .to_string(),
        "CASE WHEN a.aggkind = 'h' THEN 'HYPOTHETICAL' END".to_string(),
        "CASE p.proparallel WHEN 's' THEN 'PARALLEL = SAFE' WHEN 'r' THEN 'PARALLEL = RESTRICTED' END".to_string(),
    ];
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS name,
                'CREATE AGGREGATE ' || quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ') ('
                  || concat_ws(', ', {}) || ')' AS definition,
                coalesce(obj_description(p.oid, 'pg_proc'), '') AS comment
         FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE {USER_NS} AND {} AND {}",
        options.join(", "),
        not_extension_member("p.oid", "pg_proc"),
        not_made_by_another("p.oid", "pg_proc"),
    )
}

/// Triggers: table, name, definition, enabled state, comment.
pub fn triggers() -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS relation, quote_ident(t.tgname) AS name, pg_get_triggerdef(t.oid) AS definition,
                t.tgenabled::text AS enabled, coalesce(obj_description(t.oid, 'pg_trigger'), '') AS comment
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND {USER_NS} AND {}",
        not_extension_member("c.oid", "pg_class"),
    )
}

/// Enums, domains and range types: name, kind and properties, comment.
pub fn types() -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(t.typname) AS name, t.typtype::text AS typtype,
                CASE t.typtype
                  WHEN 'e' THEN coalesce((SELECT json_agg(quote_literal(e.enumlabel) ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)::text, '[]')
                  WHEN 'd' THEN format_type(t.typbasetype, t.typtypmod)
                  WHEN 'r' THEN (SELECT format_type(r.rngsubtype, NULL) FROM pg_range r WHERE r.rngtypid = t.oid)
                END AS base,
                CASE WHEN t.typtype = 'd' THEN t.typnotnull::text ELSE '' END AS not_null,
                CASE WHEN t.typtype = 'd' THEN coalesce(pg_get_expr(t.typdefaultbin, 0), '') ELSE '' END AS default,
                coalesce((SELECT json_agg('CONSTRAINT ' || quote_ident(k.conname) || ' ' || pg_get_constraintdef(k.oid) ORDER BY k.conname) FROM pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c')::text, '[]') AS constraints,
                coalesce(obj_description(t.oid, 'pg_type'), '') AS comment
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE t.typtype IN ('e', 'd', 'r') AND {USER_NS} AND {}",
        not_extension_member("t.oid", "pg_type"),
    )
}

/// Row-level security policies: table, name, command, permissive, roles, USING, WITH CHECK.
pub fn policies() -> String {
    format!("{POLICIES} WHERE {}", not_extension_member("c.oid", "pg_class"))
}

const POLICIES: &str = "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS relation, quote_ident(p.polname) AS name, p.polcmd::text AS command, p.polpermissive::text AS permissive,
        coalesce((SELECT string_agg(CASE WHEN r = 0 THEN 'public' ELSE quote_ident(pg_get_userbyid(r)) END, ', ' ORDER BY 1) FROM unnest(p.polroles) r), '') AS roles,
        coalesce(pg_get_expr(p.polqual, p.polrelid), '') AS using, coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') AS with_check
     FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace";

/// Rules other than view bodies: table, name, definition, enabled (not those of an
/// extension's tables and views, nor an extension's own rules).
pub fn rules() -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS relation, quote_ident(r.rulename) AS name, pg_get_ruledef(r.oid) AS definition, r.ev_enabled::text AS enabled
         FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE r.rulename <> '_RETURN' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND {} AND {}",
        not_extension_member("c.oid", "pg_class"),
        not_extension_member("r.oid", "pg_rewrite")
    )
}

/// Publications: name, all tables, actions, tables.
pub const PUBLICATIONS: &str = "SELECT quote_ident(p.pubname) AS name, p.puballtables::text AS all_tables,
        concat_ws(',', CASE WHEN p.pubinsert THEN 'insert' END, CASE WHEN p.pubupdate THEN 'update' END, CASE WHEN p.pubdelete THEN 'delete' END, CASE WHEN p.pubtruncate THEN 'truncate' END) AS actions,
        coalesce((SELECT string_agg(pr.prrelid::regclass::text, ', ' ORDER BY pr.prrelid::regclass::text) FROM pg_publication_rel pr WHERE pr.prpubid = p.oid), '') AS tables
     FROM pg_publication p";

/// Event triggers: name, event, function, enabled, tags.
pub const EVENT_TRIGGERS: &str = "SELECT quote_ident(e.evtname) AS name, e.evtevent AS event, e.evtfoid::regprocedure::text AS function, e.evtenabled::text AS enabled, coalesce(array_to_string(e.evttags, ', '), '') AS tags FROM pg_event_trigger e";

/// Extended statistics: qualified name, definition.
pub fn statistics() -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(s.stxname) AS name, pg_get_statisticsobjdef(s.oid) AS definition
         FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace WHERE {USER_NS}"
    )
}

/// User-defined collations: qualified name, provider, collate, ctype, deterministic.
pub fn collations() -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.collname) AS name, c.collprovider::text AS provider, coalesce(c.collcollate, '') AS collate,
                coalesce(c.collctype, '') AS ctype, c.collisdeterministic::text AS deterministic
         FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace WHERE {USER_NS} AND {}",
        not_extension_member("c.oid", "pg_collation")
    )
}

/// Casts made by migrations (not built in, not an extension's): source AS target, function,
/// context, method.
pub fn casts() -> String {
    format!(
        "SELECT format_type(c.castsource, NULL) || ' AS ' || format_type(c.casttarget, NULL) AS name,
                CASE WHEN c.castfunc = 0 THEN '' ELSE c.castfunc::regprocedure::text END AS function, c.castcontext::text AS context, c.castmethod::text AS method
         FROM pg_cast c WHERE c.oid >= 16384 AND {} AND {}",
        not_extension_member("c.oid", "pg_cast"),
        not_made_by_another("c.oid", "pg_cast")
    )
}

/// Operators made by migrations: name with argument types, function, commutator, negator.
pub fn operators() -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || o.oprname || '(' || coalesce(format_type(o.oprleft, NULL), 'NONE') || ', ' || coalesce(format_type(o.oprright, NULL), 'NONE') || ')' AS name,
                o.oprcode::regprocedure::text AS function,
                CASE WHEN o.oprcom = 0 THEN '' ELSE o.oprcom::regoperator::text END AS commutator, CASE WHEN o.oprnegate = 0 THEN '' ELSE o.oprnegate::regoperator::text END AS negator
         FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace WHERE {USER_NS} AND {}",
        not_extension_member("o.oid", "pg_operator")
    )
}

/// Foreign-data wrappers and foreign servers: kind (`w` or `s`), name, then for a wrapper its
/// handler, validator, options; for a server its wrapper, type, version, options (user mappings
/// are left out: they hold passwords).
pub fn foreign_servers() -> String {
    format!(
        "SELECT 'w' AS kind, quote_ident(w.fdwname) AS name, CASE WHEN w.fdwhandler = 0 THEN '' ELSE w.fdwhandler::regproc::text END AS handler_or_wrapper,
                CASE WHEN w.fdwvalidator = 0 THEN '' ELSE w.fdwvalidator::regproc::text END AS validator_or_type, '' AS version, coalesce(to_json(w.fdwoptions)::text, '[]') AS options
         FROM pg_foreign_data_wrapper w WHERE {}
         UNION ALL
         SELECT 's', quote_ident(s.srvname), quote_ident(w.fdwname), coalesce(s.srvtype, ''), coalesce(s.srvversion, ''),
                coalesce(to_json(s.srvoptions)::text, '[]')
         FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw WHERE {}",
        not_extension_member("w.oid", "pg_foreign_data_wrapper"),
        not_extension_member("s.oid", "pg_foreign_server")
    )
}

/// The privileges of ACL `acl` other than `owner`'s own, `grantee:PRIVILEGE` sorted (a
/// grantable one marked ` WITH GRANT OPTION`).
fn listed_privileges(acl: &str, owner: &str) -> String {
    format!(
        "coalesce((SELECT string_agg(e.entry, ', ' ORDER BY e.entry) FROM (
                     SELECT CASE WHEN x.grantee = 0 THEN 'public' ELSE quote_ident(pg_get_userbyid(x.grantee)) END || ':' || x.privilege_type || CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END AS entry
                     FROM aclexplode({acl}) x WHERE x.grantee <> {owner}) e), '')"
    )
}

/// Grants on tables, views, sequences, columns, functions, types and schemas (owner's implicit
/// rights excluded; a routine's or type's NULL ACL read as its default, `EXECUTE`/`USAGE` for
/// everyone); an extension's objects left out.
pub fn privileges() -> String {
    format!(
        "SELECT 'table ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS object, {} AS privileges
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND {USER_NS} AND c.relacl IS NOT NULL AND {}
         UNION ALL
         SELECT 'schema ' || quote_ident(n.nspname), {}
         FROM pg_namespace n WHERE {USER_NS} AND n.nspacl IS NOT NULL AND {}
         UNION ALL
         SELECT 'column ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(a.attname), {}
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE {USER_NS} AND a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped AND {}
         UNION ALL
         SELECT CASE WHEN p.prokind = 'p' THEN 'procedure ' ELSE 'function ' END || quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')', {}
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {USER_NS} AND {}
         UNION ALL
         SELECT 'type ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname), {}
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE {USER_NS} AND t.typacl IS NOT NULL AND t.typtype IN ('b', 'c', 'd', 'e', 'r') AND t.typelem = 0 AND {}
           AND NOT EXISTS (SELECT 1 FROM pg_class tc WHERE tc.oid = t.typrelid AND tc.relkind <> 'c')
         UNION ALL
         SELECT 'default privileges ' || coalesce(quote_ident(pg_get_userbyid(d.defaclrole)), '') || ' ' || coalesce(quote_ident(n.nspname), '*') || ' ' || d.defaclobjtype::text,
                array_to_string(d.defaclacl, ', ')
         FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace",
        listed_privileges("c.relacl", "c.relowner"),
        not_extension_member("c.oid", "pg_class"),
        listed_privileges("n.nspacl", "n.nspowner"),
        not_extension_member("n.oid", "pg_namespace"),
        listed_privileges("a.attacl", "c.relowner"),
        not_extension_member("c.oid", "pg_class"),
        listed_privileges("coalesce(p.proacl, acldefault('f', p.proowner))", "p.proowner"),
        not_extension_member("p.oid", "pg_proc"),
        listed_privileges("coalesce(t.typacl, acldefault('T', t.typowner))", "t.typowner"),
        not_extension_member("t.oid", "pg_type"),
    )
}

/// Owners other than the reading role (the role that ran the migrations) of tables, views,
/// sequences (not those a column owns: they follow their table), foreign tables, functions,
/// procedures, types and schemas; an extension's objects left out.
pub fn owners() -> String {
    format!(
        "WITH me AS (SELECT oid FROM pg_roles WHERE rolname = current_user)
         SELECT CASE c.relkind WHEN 'v' THEN 'view ' WHEN 'm' THEN 'materialized view ' WHEN 'S' THEN 'sequence ' WHEN 'f' THEN 'foreign table ' ELSE 'table ' END
                || quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS object, quote_ident(pg_get_userbyid(c.relowner)) AS owner
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND {USER_NS} AND {} AND c.relowner <> (SELECT oid FROM me)
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i') AND c.relkind = 'S')
         UNION ALL
         SELECT 'schema ' || quote_ident(n.nspname), quote_ident(pg_get_userbyid(n.nspowner))
         FROM pg_namespace n WHERE {USER_NS} AND {} AND n.nspowner <> (SELECT oid FROM me)
           -- initdb's owner of public: the bootstrap superuser, pg_database_owner since 15.
           AND NOT (n.nspname = 'public' AND (n.nspowner = 10 OR pg_get_userbyid(n.nspowner) = 'pg_database_owner'))
         UNION ALL
         SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' WHEN 'a' THEN 'aggregate ' ELSE 'function ' END || quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')', quote_ident(pg_get_userbyid(p.proowner))
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {USER_NS} AND {} AND {} AND p.proowner <> (SELECT oid FROM me)
         UNION ALL
         SELECT 'type ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname), quote_ident(pg_get_userbyid(t.typowner))
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE {USER_NS} AND t.typtype IN ('b', 'c', 'd', 'e', 'r') AND t.typelem = 0 AND {} AND {} AND t.typowner <> (SELECT oid FROM me)
           AND NOT EXISTS (SELECT 1 FROM pg_class tc WHERE tc.oid = t.typrelid AND tc.relkind <> 'c')",
        not_extension_member("c.oid", "pg_class"),
        not_extension_member("n.oid", "pg_namespace"),
        not_extension_member("p.oid", "pg_proc"),
        not_made_by_another("p.oid", "pg_proc"),
        not_extension_member("t.oid", "pg_type"),
        not_made_by_another("t.oid", "pg_type"),
    )
}

/// The qualified name (`public.t`, `public.f` without arguments) of the top-level object that
/// the catalog row `oid` of catalog `class` is, or belongs to: a column default, constraint,
/// trigger, policy, rule or index belongs to its relation (a domain's constraint to its
/// domain), an array type stands for its element type, a table's row type for the table.
/// With `made_with_it`, only what is made with the object (its columns' defaults, a view's
/// query, a domain's checks): a table's constraints, triggers, policies and indexes are made
/// after it, each on its own, and count for nothing.
fn owner_name(class: &str, oid: &str, made_with_it: bool) -> String {
    let part = |sql: String| if made_with_it { "NULL".to_string() } else { sql };
    let relation = |oid: &str| {
        format!(
            "(SELECT quote_ident(rn.nspname) || '.' || quote_ident(rc.relname) FROM pg_class rc JOIN pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = {oid} AND {})",
            USER_NS.replace("n.nspname", "rn.nspname")
        )
    };
    let of_type = |oid: &str| {
        format!(
            "(SELECT quote_ident(tn.nspname) || '.' || quote_ident(et.typname) FROM pg_type tt JOIN pg_type et ON et.oid = CASE WHEN tt.typcategory = 'A' AND tt.typelem <> 0 THEN tt.typelem ELSE tt.oid END JOIN pg_namespace tn ON tn.oid = et.typnamespace WHERE tt.oid = {oid} AND {})",
            USER_NS.replace("n.nspname", "tn.nspname")
        )
    };
    format!(
        "CASE {class}
           WHEN 'pg_class'::regclass THEN CASE WHEN EXISTS (SELECT 1 FROM pg_index ix WHERE ix.indexrelid = {oid}) THEN {} ELSE {} END
           WHEN 'pg_attrdef'::regclass THEN (SELECT {} FROM pg_attrdef ad WHERE ad.oid = {oid})
           WHEN 'pg_constraint'::regclass THEN (SELECT CASE WHEN k.conrelid <> 0 THEN {} ELSE {} END FROM pg_constraint k WHERE k.oid = {oid})
           WHEN 'pg_rewrite'::regclass THEN (SELECT {} FROM pg_rewrite rw WHERE rw.oid = {oid})
           WHEN 'pg_trigger'::regclass THEN {}
           WHEN 'pg_policy'::regclass THEN {}
           WHEN 'pg_type'::regclass THEN {}
           WHEN 'pg_proc'::regclass THEN (SELECT quote_ident(pn.nspname) || '.' || quote_ident(p.proname) FROM pg_proc p JOIN pg_namespace pn ON pn.oid = p.pronamespace WHERE p.oid = {oid} AND {})
         END",
        part(format!("(SELECT {} FROM pg_index ix WHERE ix.indexrelid = {oid})", relation("ix.indrelid"))),
        relation(oid),
        relation("ad.adrelid"),
        part(relation("k.conrelid")),
        of_type("k.contypid"),
        relation("rw.ev_class"),
        part(format!("(SELECT {} FROM pg_trigger tg WHERE tg.oid = {oid})", relation("tg.tgrelid"))),
        part(format!("(SELECT {} FROM pg_policy po WHERE po.oid = {oid})", relation("po.polrelid"))),
        of_type(oid),
        USER_NS.replace("n.nspname", "pn.nspname"),
    )
}

/// What uses what, from `pg_depend`'s normal dependencies: `user` and `used` are the qualified
/// names of two different top-level objects (relations, types, routines) of user schemas, the
/// user through what is made with it.
pub fn dependencies() -> String {
    format!(
        "SELECT DISTINCT u.name AS user, r.name AS used
         FROM pg_depend d
         CROSS JOIN LATERAL (SELECT {} AS name) u
         CROSS JOIN LATERAL (SELECT {} AS name) r
         WHERE d.deptype = 'n' AND d.objid >= 16384 AND d.refobjid >= 16384 AND u.name IS NOT NULL AND r.name IS NOT NULL AND u.name <> r.name",
        owner_name("d.classid", "d.objid", true),
        owner_name("d.refclassid", "d.refobjid", false),
    )
}
