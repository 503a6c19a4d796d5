#!/usr/bin/env bash
# Run every test against a real pool: the test suite starts the project's own
# single-node pool (pool/pool.sh, needs root) unless CONDOR_CONFIG names one.
# The code is linted first (ruff.toml). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Debian packages the tests run: Chromium renders /docs and /ui/ (the browser
# tests; the dashboard's drive it through chromium-driver and Selenium),
# redis-server is the shared store of the replicas' tests (scripts/redis.sh),
# postgresql is the archive's database server in its tests (scripts/postgresql.sh),
# nginx runs deploy/nginx.conf in front of a server (tests/test_front_proxy.py;
# openssl makes its test certificate).
install_missing() { # command package
    command -v "$1" >/dev/null && return
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq; APT_UPDATED=1; }
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null
    else
        echo "warning: $2 is missing (apt-get install $2, as root); the tests that need it will fail" >&2
    fi
}
install_missing chromium chromium
install_missing chromedriver chromium-driver
install_missing redis-server redis-server
install_missing pg_ctlcluster postgresql
install_missing nginx nginx
install_missing openssl openssl
install_missing prometheus prometheus  # and its promtool: tests/test_metrics_in_prometheus.py
.venv/bin/ruff check --quiet restd_core restd_plugins tests bench
# The types of restd_core and restd_plugins (mypy.ini).
.venv/bin/mypy
# The manual (mkdocs.yml, docs/), built with its warnings as errors; its curl
# examples are run by tests/test_manual_examples.py.
site=$(mktemp -d)
.venv/bin/mkdocs build --strict --quiet --site-dir "$site" || { rm -rf "$site"; exit 1; }
rm -rf "$site"
exec .venv/bin/python -m pytest "$@"
