#!/usr/bin/env bash
# The cached virtualenv with delta-rs (`deltalake`) for the lake's interop tests; prints the path
# of its python.
exec "$(dirname "$0")/../../stack/ensure-python-venv.sh" python-venv python 'deltalake==1.6.6' pyarrow pandas
