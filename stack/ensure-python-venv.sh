#!/usr/bin/env bash
# Creates (once) a cached Python virtualenv with pinned PyPI packages and prints the path of one
# of its executables. Used by the Python checkers the tests and scripts run (delta-rs, schemathesis,
# TA-Lib). Safe to run repeatedly and from parallel test workers: a ready venv is reused, and the
# creation is serialised by a lock. A change in the package list rebuilds the venv.
#
#   stack/ensure-python-venv.sh <venv-name> <executable> <package>...
#
# Cache root: $MARKETLAKE_CACHE_DIR (default ${XDG_CACHE_HOME:-~/.cache}/marketlake).
set -euo pipefail
if [ "$#" -lt 3 ]; then
  echo "usage: $0 <venv-name> <executable> <package>..." >&2
  exit 2
fi
name="$1"
executable="$2"
shift 2
cache="${MARKETLAKE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/marketlake}"
venv="$cache/$name"
stamp="$* v1"
ready() { [ -x "$venv/bin/$executable" ] && [ "$(cat "$venv/.marketlake-stamp" 2>/dev/null)" = "$stamp" ]; }
if ready; then
  echo "$venv/bin/$executable"
  exit 0
fi
mkdir -p "$cache"
exec 9>"$cache/$name.lock"
flock 9
if ! ready; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@" >&2
  echo "$stamp" > "$venv/.marketlake-stamp"
fi
echo "$venv/bin/$executable"
