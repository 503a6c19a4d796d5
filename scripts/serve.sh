#!/usr/bin/env bash
# Run condor-restd against a local pool: pserve development.ini on port 9680.
# Extra arguments go to pserve (e.g. --reload). Needs root when it starts the
# project's own pool.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/pool-env.sh
# As in the image: without it, glibc keeps a malloc arena per busy thread, and
# every one of them holds on to the memory of the largest answers it built.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
exec .venv/bin/pserve "${INI:-development.ini}" "$@"
