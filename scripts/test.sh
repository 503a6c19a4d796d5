#!/usr/bin/env bash
# Run every test against a real pool: the test suite starts the project's own
# single-node pool (pool/pool.sh, needs root) unless CONDOR_CONFIG names one.
# The code is linted first (ruff.toml). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The tests of /docs and /ui/ render them in a headless Chromium (Debian's
# package), the dashboard's driven through chromium-driver (Selenium).
if ! command -v chromium >/dev/null || ! [ -x /usr/bin/chromedriver ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
    else
        echo "warning: chromium or chromium-driver is missing (apt-get install chromium chromium-driver, as root); the browser tests will fail" >&2
    fi
fi
.venv/bin/ruff check --quiet restd_core restd_plugins tests bench
exec .venv/bin/python -m pytest "$@"
