#!/usr/bin/env bash
# Run every test against a real pool: the test suite starts the project's own
# single-node pool (pool/pool.sh, needs root) unless CONDOR_CONFIG names one.
# The code is linted first (ruff.toml). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The test of /docs renders it in a headless Chromium (Debian's package).
if ! command -v chromium >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
    else
        echo "warning: chromium is missing (apt-get install chromium, as root); the /docs browser test will fail" >&2
    fi
fi
.venv/bin/ruff check --quiet restd_core restd_plugins tests bench
exec .venv/bin/python -m pytest "$@"
