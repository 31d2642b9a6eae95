#!/usr/bin/env bash
# The cached virtualenv with TA-Lib's Python binding (PyPI `ta-lib`, binary wheels) and numpy, for
# regenerating the indicator fixtures (talib_fixtures.py); prints the path of its python. Tests
# never run it: the fixtures are committed.
exec "$(dirname "$0")/../../stack/ensure-python-venv.sh" talib-venv python 'ta-lib==0.8.2' numpy
