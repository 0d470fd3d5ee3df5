# The part of the suite that runs on every PostgreSQL major users run, not only the default one:
# replay, squash (example and generated chains, retirement's links and behaviour, a setup-shaped
# chain judged by dbmate), the drift cases, plan, a surgery's backups
# (record, restore proven on a schema copy, pg_dump of the major), the checks before a
# migration (a type change is tested per value from 16 on), and the ledger and schema file
# shared with the real dbmate. Sourced by scripts/test.

# The tests whose outcome depends on the server's major (nextest filterset).
MAJOR_TESTS='test(/^dbmate_compat::/)
  | test(/::the_example_chain_squashes_and_every_check_passes$/)
  | test(/::generated_chains_of_100_and_1000_retire_tables_with_dependents_and_composite_key_columns$/)
  | test(/::every_drift_case_is_reported_with_its_path_and_class$/)
  | test(/::the_same_schema_built_by_two_histories_differs_only_in_cosmetics$/)
  | test(/::a_chain_equals_its_own_pg_dump$/)
  | test(/::drift_finds_manual_ddl_and_names_it$/)
  | test(/::the_example_chain_replays$/)
  | test(/::a_failing_migration_is_located_and_everything_is_cleaned_up$/)
  | test(/::check_down_names_downs_that_leave_something_behind_or_cannot_run$/)
  | test(/::dump_then_load_into_a_fresh_database$/)
  | test(/::status_reports_ledger_rows_without_files$/)
  | test(/::plan_/)
  | test(/::every_drift_case_is_planned_applied_by_dbmate_and_rolled_back$/)
  | test(/^plan_corpus::/)
  | test(/^backups::a_surgery_s_backups_are_listed_refused_while_the_rollback_needs_them_restored_and_dropped$/)
  | test(/^checks::each_statement_kind_is_checked_before_it_runs_and_stops_up_with_the_same_words$/)
  | test(/^checks::statements_that_would_succeed_are_never_stopped$/)
  | test(/^retirement::/)
  | test(/^platform_chains::a_supabase_shaped_chain_squashes_and_dbmate_builds_the_same_database_from_either$/)'

# A directory holding only the pg_dump squashmate pairs with a server of major $1 (dbmate
# takes pg_dump from PATH; the installation's own postgres must not shadow the server's).
paired_pg_dump_dir() {
  local program dir
  program=$(target/debug/squashmate pg list --format json | python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r["major"] == int(sys.argv[1]) and r["pg_dump"]]
print(rows[0]["pg_dump"] if rows else "")' "$1")
  dir=$(mktemp -d)
  if [ -n "$program" ]; then ln -s "$program" "$dir/pg_dump"; fi
  echo "$dir"
}

# Runs $MAJOR_TESTS once per major given; returns non-zero if any run failed.
run_on_majors() {
  local failed=0 major dump_dir
  cargo build --quiet --bin squashmate
  echo "== PostgreSQL majors $*: the server binaries (downloaded once, cached)" >&2
  target/debug/squashmate pg install "$@" || return 1
  for major in "$@"; do
    dump_dir=$(paired_pg_dump_dir "$major")
    echo "== The major-dependent tests on PostgreSQL $major (pg_dump: $(readlink "$dump_dir/pg_dump"))" >&2
    PATH="$dump_dir:$PATH" SQUASHMATE_PG_VERSION=$major SQUASHMATE_OFFLINE=1 \
      cargo nextest run --all-targets --no-fail-fast -E "$MAJOR_TESTS" || failed=1
    rm -rf "$dump_dir"
  done
  return $failed
}
