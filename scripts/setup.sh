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
# The test of /docs renders it in a headless Chromium (Debian's package).
if ! command -v chromium >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
    else
        echo "warning: chromium is missing (apt-get install chromium, as root); the /docs browser test will fail" >&2
    fi
fi
