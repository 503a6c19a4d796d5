#!/usr/bin/env bash
# Run condor-restd against a local pool: pserve development.ini on port 9680.
# Extra arguments go to pserve (e.g. --reload). Needs root when it starts the
# project's own pool.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/pool-env.sh
exec .venv/bin/pserve "${INI:-development.ini}" "$@"
