#!/usr/bin/env bash
# The clock sweep: run the test suite as if it were each of a set of awkward moments (LEADFLOW_TEST_CLOCK, see
# conftest.py), to catch code and tests that only fail at a turn of the day, week, month or year, or on a DST
# change day. Not part of CI (one pass of the suite per moment); run it by hand:
#   scripts/clock-sweep.sh                          # every moment below, whole suite on SQLite
#   scripts/clock-sweep.sh 2027-01-01T00:00:00+03:00 # just this moment (ISO 8601 with an offset)
#   scripts/clock-sweep.sh -- leadflow/leads -x     # every moment, extra pytest arguments after --
# Python's clock moves (the browser tests' live server too); SQL's own now(), the subprocesses some tests start
# and chromium's JavaScript clock do not. Exits non-zero if the suite failed at any moment.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

MOMENTS=(
  2026-11-29T20:58:00Z  # Sunday 23:58 in Moscow (UTC 20:58): the turn of the day and of the week, a day ending 23:59
  2026-11-29T21:01:00Z  # Monday 00:01 in Moscow, still Sunday in UTC
  2026-11-25T20:50:00Z  # Wednesday 23:50 in Moscow: a round-the-clock team's last minutes
  2026-11-27T15:00:30Z  # Friday 18:00:30 in Moscow: the working week has just ended
  2026-08-31T21:30:00Z  # UTC's 31 August, Moscow's 1 September: the turn of the month
  2026-12-31T22:30:00Z  # UTC's 31 December, Moscow's 1 January 2027: the turn of the year
  2028-02-28T21:00:00Z  # 00:00:00 on 29 February 2028 in Moscow (a leap day), UTC still on the 28th
  2027-10-31T00:59:30Z  # London's clocks go back in 30 seconds (01:59:30 BST); New York's a week later
)

args=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then
    shift
    break
  fi
  args+=("$1")
  shift
done
[ ${#args[@]} -gt 0 ] && MOMENTS=("${args[@]}")

# shellcheck source=scripts/venv.sh
. scripts/venv.sh
ensure_venv .leadflow-installed-dev ".[dev]"

# The browser tests re-render docs/screenshots: put back what was there, not pictures of another day.
saved="$(mktemp -d)"
trap 'cp -a "$saved/screenshots/." docs/screenshots/ 2>/dev/null; rm -rf "$saved"' EXIT
[ -d docs/screenshots ] && cp -a docs/screenshots "$saved/"

failed=()
for moment in "${MOMENTS[@]}"; do
  printf '\n--- LEADFLOW_TEST_CLOCK=%s\n' "$moment"
  # On SQLite (PostgreSQL's now() would not move); its PostgreSQL-only tests skip (CI=true would fail them).
  if ! env -u CI -u TEST_DATABASE_URL LEADFLOW_TEST_CLOCK="$moment" .venv/bin/python -m pytest -q -n 2 -m "not postgres" -p no:cacheprovider "$@"; then
    failed+=("$moment")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  printf '\nFAILED at: %s\n' "${failed[@]}" >&2
  exit 1
fi
printf '\nThe suite passed at every moment.\n'
