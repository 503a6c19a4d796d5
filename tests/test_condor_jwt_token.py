"""CONDOR_JWT_TOKEN: the server authenticates to the pool with that IDTOKEN.

Disruptive: for a few seconds the shared pool requires IDTOKENS for READ
(every query), then its configuration is restored.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .pool import pool_sh
from .waiting import eventually

#: A config file the test adds to the pool, and removes again.
TEST_CONF = "/etc/condor/config.d/98-restd-test-idtokens-for-read.conf"
IDTOKENS_FOR_READ = "SEC_READ_AUTHENTICATION = REQUIRED\nSEC_READ_AUTHENTICATION_METHODS = IDTOKENS\n"
PROBE = "import htcondor2; htcondor2.Collector().query(htcondor2.AdTypes.Schedd, projection=['Name'])"
SETTLE_SECONDS = 30


def read_without_token_works(no_tokens: Path) -> bool:
    """Whether a fresh client (no cached security session) without a token
    may query the collector."""
    env = {**os.environ, "_CONDOR_SEC_TOKEN_DIRECTORY": str(no_tokens)}
    return subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True).returncode == 0


@contextlib.contextmanager
def idtokens_required_for_read(no_tokens: Path):
    pool_sh("exec", "sh", "-c", f"printf '{IDTOKENS_FOR_READ}' > {TEST_CONF}")
    try:
        pool_sh("exec", "condor_reconfig")
        eventually(lambda: not read_without_token_works(no_tokens), SETTLE_SECONDS, "the pool requiring tokens for READ")
        yield
    finally:
        pool_sh("exec", "rm", "-f", TEST_CONF)
        pool_sh("exec", "condor_reconfig")
        eventually(lambda: read_without_token_works(no_tokens), SETTLE_SECONDS, "READ without a token again")


@pytest.mark.disruptive
def test_a_pool_that_requires_idtokens_answers_with_condor_jwt_token_only(app_with, test_jobs, tmp_path):
    no_tokens = tmp_path / "no-tokens"
    no_tokens.mkdir(mode=0o700)
    token = (Path(pool_sh("token", "alice").stdout.strip()) / "token").read_text().strip()
    # Neither app may find a token where the pool's client config points.
    without = app_with(env={"_CONDOR_SEC_TOKEN_DIRECTORY": str(no_tokens)})
    with_token = app_with(env={"CONDOR_JWT_TOKEN": token})
    url = f"/v1/jobs/DEFAULT/{test_jobs.held}/0?projection=Owner"

    with idtokens_required_for_read(no_tokens):
        refused = without.get(url, status=503).json
        answered = with_token.get(url, status=200).json

    assert refused["errno"] == 201 and "did not answer" in refused["message"]
    assert answered == {"jobid": f"{test_jobs.held}.0", "classad": {"owner": "alice"}}
