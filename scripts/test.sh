#!/usr/bin/env bash
# Run every test against a real pool: the test suite starts the project's own
# single-node pool (pool/pool.sh, needs root) unless CONDOR_CONFIG names one.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
