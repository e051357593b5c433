# Sourced by run.sh and test.sh: find Python 3.11+, create .venv, install when pyproject.toml changed.
# shellcheck shell=bash

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

# ensure_venv STAMP PIP_TARGET [ACCEPTED_STAMP...]: install unless a stamp records this pyproject.toml.
ensure_venv() {
  local stamp="$1" target="$2" wanted accepted
  shift 2
  if ! [ -x .venv/bin/python ] || ! python_ok .venv/bin/python; then
    local python
    python="$(find_python)"
    echo "Creating .venv with $($python --version 2>&1)..." >&2
    "$python" -m venv --clear .venv || {
      echo "Could not create .venv; on Debian/Ubuntu: apt-get install python3-venv" >&2
      return 1
    }
  fi
  wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
  for accepted in "$stamp" "$@"; do
    if [ "$(cat ".venv/$accepted" 2>/dev/null)" = "$wanted" ]; then
      return 0
    fi
  done
  echo "Installing Leadflow into .venv ($target)..." >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$target"
  echo "$wanted" > ".venv/$stamp"
}
