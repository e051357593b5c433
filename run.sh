#!/usr/bin/env bash
# Command 1: from a fresh clone, set up .venv (first time, or when pyproject.toml changed) and run
# Leadflow: migrate, demo data on the first run, web server on http://127.0.0.1:8000 and the worker.
# Extra arguments go to `leadflow run` (e.g. ./run.sh --port 8080 --no-demo).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

# shellcheck source=scripts/venv.sh
. scripts/venv.sh

# Settings come from the environment; a .env file here (see .env.example) is loaded into it.
if [ -f .env ]; then
  set -a
  # shellcheck disable=SC1091
  . ./.env
  set +a
fi

# A dev install (./test.sh) already has everything the app needs.
ensure_venv .leadflow-installed .  .leadflow-installed-dev
exec .venv/bin/leadflow run "$@"
