#!/usr/bin/env bash
# Creates (once) a cached Python virtualenv with TA-Lib's Python binding (PyPI `ta-lib`, binary
# wheels) and numpy, for regenerating the indicator fixtures (talib_fixtures.py), and prints the
# path of its python. Tests never run it: the fixtures are committed.
# Cache root: $MARKETLAKE_CACHE_DIR (default ${XDG_CACHE_HOME:-~/.cache}/marketlake).
set -euo pipefail
cache="${MARKETLAKE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/marketlake}"
venv="$cache/talib-venv"
# Bump when the pinned packages change so that old caches are rebuilt.
stamp="ta-lib==0.8.2 numpy v1"
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.marketlake-stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$venv/bin/python"
  exit 0
fi
mkdir -p "$cache"
exec 9>"$cache/talib-venv.lock"
flock 9
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.marketlake-stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$venv/bin/python"
  exit 0
fi
rm -rf "$venv"
python3 -m venv "$venv" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'ta-lib==0.8.2' numpy >&2
echo "$stamp" > "$venv/.marketlake-stamp"
echo "$venv/bin/python"
