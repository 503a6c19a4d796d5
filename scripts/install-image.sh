#!/usr/bin/env bash
# Install condor-restd, with the pinned dependencies of requirements.lock,
# into a virtualenv:  scripts/install-image.sh [PREFIX]  (default /opt/condor-restd)
# The Dockerfile runs it; so does the test suite (tests/test_image.py), into
# a temporary prefix, so the image's install step is tested for real.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${1:-/opt/condor-restd}
PYTHON=${PYTHON:-python3}
"$PYTHON" -m venv "$PREFIX"
"$PREFIX/bin/python" -m pip install -q --disable-pip-version-check -c requirements.lock .
"$PREFIX/bin/python" -c 'import restd_core, restd_plugins.jobs'
