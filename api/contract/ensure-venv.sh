#!/usr/bin/env bash
# The cached virtualenv with schemathesis for the API's contract test
# (api/contract/schemathesis.int.test.ts); prints the path of its `schemathesis` executable.
exec "$(dirname "$0")/../../stack/ensure-python-venv.sh" schemathesis-venv schemathesis 'schemathesis==4.32.5'
