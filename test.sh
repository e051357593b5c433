#!/usr/bin/env bash
# Command 2: set up .venv with the dev tools (when pyproject.toml changed), then lint, check that
# the models need no new migration, and run the whole suite on two cores. Extra arguments go to
# pytest (e.g. ./test.sh leadflow/leads -x). Exits non-zero if any step fails.
# TEST_DATABASE_URL=postgresql://... runs the suite on PostgreSQL (see scripts/postgres.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }

find_python() {
  local candidate
  for candidate in python3.11 python3 python3.12 python3.13; do
    if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
      echo "$candidate"
      return 0
    fi
  done
  echo "Leadflow needs Python 3.11 or newer (python3.11 or python3 on PATH)." >&2
  return 1
}

if ! [ -x .venv/bin/python ] || ! python_ok .venv/bin/python; then
  python="$(find_python)"
  echo "Creating .venv with $($python --version 2>&1)..." >&2
  "$python" -m venv --clear .venv || {
    echo "Could not create .venv; on Debian/Ubuntu: apt-get install python3-venv" >&2
    exit 1
  }
fi
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat .venv/.leadflow-installed-dev 2>/dev/null)" != "$wanted" ]; then
  echo "Installing Leadflow with the dev tools into .venv..." >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
  echo "$wanted" > .venv/.leadflow-installed-dev
fi

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
