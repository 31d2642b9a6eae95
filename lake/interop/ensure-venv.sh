#!/usr/bin/env bash
# Creates (once) a cached Python virtualenv with delta-rs (`deltalake`) for the lake's interop
# tests and prints the path of its python. Safe to run repeatedly: a ready venv is reused.
# Cache root: $MARKETLAKE_CACHE_DIR (default ${XDG_CACHE_HOME:-~/.cache}/marketlake).
set -euo pipefail
cache="${MARKETLAKE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/marketlake}"
venv="$cache/python-venv"
# Bump when the pinned packages change so that old caches are rebuilt.
stamp="deltalake==1.6.6 pyarrow pandas v1"
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.marketlake-stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$venv/bin/python"
  exit 0
fi
mkdir -p "$cache"
lock="$cache/python-venv.lock"
# Two test workers may ask at once: serialise the creation.
exec 9>"$lock"
flock 9
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.marketlake-stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$venv/bin/python"
  exit 0
fi
rm -rf "$venv"
python3 -m venv "$venv" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'deltalake==1.6.6' pyarrow pandas >&2
echo "$stamp" > "$venv/.marketlake-stamp"
echo "$venv/bin/python"
