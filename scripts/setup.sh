#!/usr/bin/env bash
# Create .venv and install condor-restd with its test dependencies into it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    { echo "condor-restd needs Python 3.11 or newer" >&2; exit 1; }
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade "pip>=23" >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'
