"""The static-token auth plugin: bearer tokens listed as SHA-256 hashes."""
from __future__ import annotations

import hashlib

import pytest

from restd_core.assembly.plugins import PluginError

from .conftest import make_app

PROTECTED = "/v1/jobs/DEFAULT/999999"
TOKEN = "dashboard-secret-1"


@pytest.fixture
def token_file(tmp_path):
    path = tmp_path / "tokens"
    path.write_text(f"# tokens that may read\n{hashlib.sha256(TOKEN.encode()).hexdigest()} dashboard\n\n")
    return path


@pytest.fixture
def static_app(app_with, token_file):
    return app_with(**{"restd.auth": "static-token", "restd.static_token.file": str(token_file),
                       "restd.gateway.workers": "1"})


def test_a_listed_token_may_read(static_app):
    static_app.get(PROTECTED, headers={"Authorization": f"Bearer {TOKEN}"}, status=200)


def test_no_token_is_401(static_app):
    assert static_app.get(PROTECTED, status=401).json["errno"] == 104


def test_a_token_not_listed_is_401_invalid_token(static_app):
    assert static_app.get(PROTECTED, headers={"Authorization": "Bearer guess"}, status=401).json["errno"] == 105


def test_the_hash_itself_is_not_a_token(static_app):
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    static_app.get(PROTECTED, headers={"Authorization": f"Bearer {digest}"}, status=401)


def test_without_a_token_file_the_server_does_not_start(condor_config):
    with pytest.raises(PluginError, match="'static-token'.*restd.static_token.file"):
        make_app(**{"restd.auth": "static-token"})


def test_a_line_that_is_not_a_hash_stops_the_start_up(condor_config, tmp_path):
    (tmp_path / "tokens").write_text(f"{TOKEN}\n")
    with pytest.raises(PluginError, match="not a hex SHA-256"):
        make_app(**{"restd.auth": "static-token", "restd.static_token.file": str(tmp_path / "tokens")})
