#!/usr/bin/env bash
# Creates (once) a cached Python virtualenv with schemathesis for the API's contract test
# (api/contract/schemathesis.int.test.ts) and prints the path of its `schemathesis` executable.
# Safe to run repeatedly: a ready venv is reused. Cache root: $MARKETLAKE_CACHE_DIR
# (default ${XDG_CACHE_HOME:-~/.cache}/marketlake).
set -euo pipefail
cache="${MARKETLAKE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/marketlake}"
venv="$cache/schemathesis-venv"
# Bump when the pinned package changes so that old caches are rebuilt.
stamp="schemathesis==4.32.5 v1"
if [ -x "$venv/bin/schemathesis" ] && [ "$(cat "$venv/.marketlake-stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$venv/bin/schemathesis"
  exit 0
fi
mkdir -p "$cache"
exec 9>"$cache/schemathesis-venv.lock"
flock 9
if [ -x "$venv/bin/schemathesis" ] && [ "$(cat "$venv/.marketlake-stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$venv/bin/schemathesis"
  exit 0
fi
rm -rf "$venv"
python3 -m venv "$venv" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'schemathesis==4.32.5' >&2
echo "$stamp" > "$venv/.marketlake-stamp"
echo "$venv/bin/schemathesis"
