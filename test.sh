#!/usr/bin/env bash
# Command 2: set up .venv with the dev tools (when pyproject.toml changed), then lint, check that
# the models need no new migration, and run the whole suite on two cores. Extra arguments go to
# pytest (e.g. ./test.sh leadflow/leads -x). Exits non-zero if any step fails.
# TEST_DATABASE_URL=postgresql://... runs the suite on PostgreSQL (see scripts/postgres.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

# shellcheck source=scripts/venv.sh
. scripts/venv.sh
ensure_venv .leadflow-installed-dev ".[dev]"

failed=()
step() { printf '\n--- %s\n' "$*"; }

step "ruff check"
.venv/bin/ruff check . || failed+=("ruff check")

step "makemigrations --check"
DJANGO_SETTINGS_MODULE=leadflow.settings.test .venv/bin/python -m django makemigrations --check --dry-run \
  || failed+=("makemigrations --check (a model change has no migration)")

step "pytest${TEST_DATABASE_URL:+ on PostgreSQL}"
set +e
.venv/bin/python -m pytest -n 2 "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  failed+=("pytest collected no tests")
elif [ "$status" -ne 0 ]; then
  failed+=("pytest (exit $status)")
fi

if [ "${#failed[@]}" -gt 0 ]; then
  printf '\nFAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
printf '\nAll checks passed.\n'
