#!/usr/bin/env bash
# The GitHub Action's runner: the squashmate commands the inputs name, each one's findings as
# annotations on the files (`--format github`), all of them in the job summary, and — when asked —
# in one pull request comment that later runs update instead of adding more. Environment:
#   SQUASHMATE_COMMANDS   space-separated: gate hash-check lint hazards drift plan (empty: none)
#   SQUASHMATE_BASE       gate's base revision (default: origin/$GITHUB_BASE_REF)
#   SQUASHMATE_TARGETS    drift's targets file (default: drift of DATABASE_URL)
#   SQUASHMATE_PLAN_TO    plan's --to (a URL, migrations directory or schema file)
#   SQUASHMATE_COMMENT    "true": post or update the pull request comment (needs GITHUB_TOKEN)
#   GITHUB_STEP_SUMMARY, GITHUB_EVENT_PATH, GITHUB_REPOSITORY, GITHUB_API_URL: set by GitHub
# Exit 1 when any command found something (or failed), after everything ran and was reported.
set -uo pipefail

# Unset: the default checks; empty: none (the action then only installs squashmate).
commands=${SQUASHMATE_COMMANDS-gate hash-check lint}
if [ -z "${commands// /}" ]; then exit 0; fi
summary=${GITHUB_STEP_SUMMARY:-/dev/stdout}
marker='<!-- squashmate-action -->'
report=$(mktemp)
trap 'rm -f "$report"' EXIT
status=0

# run TITLE ANNOTATE COMMAND...: COMMAND's findings as annotations in the log (ANNOTATE=1:
# `--format github`), and its `--format markdown` report, under its verdict, in the report.
run() {
  local title=$1 annotate=$2 code output errors
  shift 2
  if [ "$annotate" = 1 ]; then "$@" --format github 2>/dev/null; fi
  errors=$(mktemp)
  output=$("$@" --format markdown 2>"$errors")
  code=$?
  printf '%s\n' "$output"
  cat "$errors" >&2
  local verdict="passed"
  if [ $code -eq 1 ]; then verdict="found something"; elif [ $code -ne 0 ]; then verdict="failed (exit $code)"; fi
  if [ $code -ne 0 ]; then status=1; fi
  {
    echo "### squashmate $title: $verdict"
    echo
    printf '%s\n' "$output"
    if [ $code -ge 2 ]; then
      echo
      echo '```'
      sed "s/\`\`\`/\`\`$(printf '\342\200\213')\`/g" "$errors"
      echo '```'
    fi
    echo
  } >> "$report"
  rm -f "$errors"
}

for command in $commands; do
  case "$command" in
    gate) run "gate" 1 squashmate gate --base "${SQUASHMATE_BASE:-origin/${GITHUB_BASE_REF:-main}}" --head HEAD ;;
    hash-check) run "hash --check" 1 squashmate hash --check ;;
    lint) run "lint" 1 squashmate lint ;;
    hazards) run "lint --hazards" 1 squashmate lint --hazards ;;
    drift)
      if [ -n "${SQUASHMATE_TARGETS:-}" ]; then run "drift" 0 squashmate --targets "$SQUASHMATE_TARGETS" drift; else run "drift" 0 squashmate drift; fi ;;
    plan) run "plan" 0 squashmate plan --to "${SQUASHMATE_PLAN_TO:?set the input plan-to for the plan command}" ;;
    *) echo "::error::unknown squashmate action command \`$command\` (gate, hash-check, lint, hazards, drift, plan)"; status=1 ;;
  esac
done

{
  echo "## squashmate"
  echo
  cat "$report"
} >> "$summary"

if [ "${SQUASHMATE_COMMENT:-false}" = true ]; then
  number=$(python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); print((e.get("pull_request") or {}).get("number") or "")' "${GITHUB_EVENT_PATH:-/dev/null}" 2>/dev/null)
  if [ -z "$number" ]; then
    echo "::warning::squashmate: comment is true but this run is not for a pull request; no comment was posted"
  else
    api=${GITHUB_API_URL:-https://api.github.com}/repos/$GITHUB_REPOSITORY
    auth=(-H "Authorization: Bearer ${GITHUB_TOKEN:?the comment needs GITHUB_TOKEN (the input github-token)}" -H "Accept: application/vnd.github+json")
    body=$(printf '%s\n## squashmate\n\n%s' "$marker" "$(cat "$report")" | python3 -c 'import json,sys; print(json.dumps({"body": sys.stdin.read()}))')
    existing=$(curl --fail --silent --show-error "${auth[@]}" "$api/issues/$number/comments?per_page=100" \
      | python3 -c 'import json,sys; m=sys.argv[1]; print(next((str(c["id"]) for c in json.load(sys.stdin) if m in c.get("body","")), ""))' "$marker")
    if [ -n "$existing" ]; then
      curl --fail --silent --show-error "${auth[@]}" -X PATCH -d "$body" "$api/issues/comments/$existing" >/dev/null && echo "Updated the squashmate comment on #$number"
    else
      curl --fail --silent --show-error "${auth[@]}" -X POST -d "$body" "$api/issues/$number/comments" >/dev/null && echo "Commented on #$number"
    fi || { echo "::warning::squashmate: the pull request comment could not be written"; }
  fi
fi
exit $status
