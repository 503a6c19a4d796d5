"""The oidc auth plugin against a stand-in issuer over real HTTP (``fake_issuer``), alone and beside others."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time

import pytest
from cryptography.hazmat.primitives import serialization

from restd_core.assembly.plugins import PluginError
from restd_plugins.auth import oidc

from .conftest import bearer
from .fake_issuer import AUDIENCE, JWKS_PATH, OIDC_DISCOVERY, SCITOKENS_DISCOVERY, FakeIssuer
from .test_request_ids import ACCESS_LOG

PROTECTED = "/v1/jobs/DEFAULT/999999"


@pytest.fixture
def oidc_app(app_with, issuer):
    """``oidc_app(**settings)``: an app with the oidc plugin trusting ``issuer``."""
    return lambda **settings: app_with(**{
        "restd.auth": "oidc", "restd.oidc.issuers": issuer.url, "restd.oidc.audiences": AUDIENCE,
        "restd.oidc.timeout": "2", "restd.oidc.refresh_seconds": "3600", "restd.gateway.workers": "1", **settings})


def rejected(app, token: str, status: int = 401) -> dict:
    return app.get(PROTECTED, headers=bearer(token), status=status).json


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(header: dict, claims: dict, signature: bytes = b"") -> str:
    return ".".join((b64(json.dumps(header).encode()), b64(json.dumps(claims).encode()), b64(signature)))


def key_fetches(issuer: FakeIssuer) -> int:
    return issuer.fetches[JWKS_PATH]


# ------------------------------------------------------------------ accepted --

def test_a_valid_token_with_a_read_scope_may_read(oidc_app, issuer):
    assert oidc_app().get(PROTECTED, headers=bearer(issuer.token())).json == []


def test_an_ec_signed_token_may_read(oidc_app, issuer):
    oidc_app().get(PROTECTED, headers=bearer(issuer.token("ec-1")), status=200)


def test_keys_are_fetched_once_for_many_tokens(oidc_app, issuer):
    app = oidc_app()
    for number in range(5):
        app.get(PROTECTED, headers=bearer(issuer.token(sub=f"user-{number}")), status=200)
    assert (issuer.fetches[OIDC_DISCOVERY], key_fetches(issuer)) == (1, 1)


def test_a_wlcg_compute_read_scope_in_scp_may_read(oidc_app, issuer):
    oidc_app().get(PROTECTED, headers=bearer(issuer.token(scope=None, scp=["compute.read"])), status=200)


def test_a_group_in_keycloak_realm_roles_may_read(oidc_app, issuer):
    app = oidc_app(**{"restd.oidc.read_groups": "condor-admins"})
    token = issuer.token(scope="openid", realm_access={"roles": ["user", "condor-admins"]})
    app.get(PROTECTED, headers=bearer(token), status=200)


def test_a_scitokens_issuer_is_found_by_its_oauth_discovery_document(app_with):
    issuer = FakeIssuer(scitokens=True)
    try:
        app = app_with(**{"restd.auth": "oidc", "restd.oidc.issuers": issuer.url, "restd.oidc.audiences": AUDIENCE})
        app.get(PROTECTED, headers=bearer(issuer.token()), status=200)
        assert issuer.fetches[SCITOKENS_DISCOVERY] == 1
    finally:
        issuer.stop()


def test_a_configured_jwks_url_skips_discovery(oidc_app, issuer):
    oidc_app(**{"restd.oidc.jwks_urls": issuer.url + JWKS_PATH}).get(PROTECTED, headers=bearer(issuer.token()),
                                                                     status=200)
    assert issuer.fetches[OIDC_DISCOVERY] == 0


def test_the_identity_is_qualified_by_the_issuer(issuer):
    plugin = oidc.OIDCAuth({"restd.oidc.issuers": issuer.url, "restd.oidc.audiences": AUDIENCE,
                            "restd.oidc.identity_claim": "preferred_username"})
    request = type("Request", (), {"headers": bearer(issuer.token(preferred_username="alice"))})()
    assert plugin.identity(request).userid == f"{issuer.url}#alice"


# ------------------------------------------------------------------ rejected --

def test_a_token_without_a_read_scope_or_group_is_403(oidc_app, issuer):
    assert rejected(oidc_app(), issuer.token(scope="storage.read:/"), 403)["errno"] == 121


@pytest.mark.parametrize("claims", [
    pytest.param({"exp": int(time.time()) - 3600}, id="expired"),
    pytest.param({"nbf": int(time.time()) + 3600}, id="not yet valid"),
    pytest.param({"aud": "https://another.example"}, id="wrong audience"),
    pytest.param({"aud": None}, id="no audience"),
    pytest.param({"exp": None}, id="no expiry"),
    pytest.param({"sub": None}, id="no subject"),
])
def test_an_invalid_token_is_401(oidc_app, issuer, claims):
    answer = rejected(oidc_app(), issuer.token(**claims))
    assert answer["errno"] == 105
    assert key_fetches(issuer) <= 1


def test_a_token_whose_iss_is_another_trusted_issuer_fails_its_signature(oidc_app, issuer):
    other = FakeIssuer()
    try:
        app = oidc_app(**{"restd.oidc.issuers": f"{issuer.url} {other.url}"})
        # Signed by the first issuer's key, claiming to be the second's: the second's keys do not verify it.
        rejected(app, issuer.token(iss=other.url))
        app.get(PROTECTED, headers=bearer(other.token()), status=200)
    finally:
        other.stop()


def test_a_token_from_an_untrusted_issuer_is_401_without_a_fetch(oidc_app, issuer):
    stranger = FakeIssuer()
    try:
        rejected(oidc_app(), stranger.token())
        assert sum(stranger.fetches.values()) == 0
    finally:
        stranger.stop()


def test_alg_none_is_401_without_a_fetch(oidc_app, issuer):
    rejected(oidc_app(), forged({"alg": "none", "typ": "JWT", "kid": "rsa-1"}, issuer.claims()))
    assert sum(issuer.fetches.values()) == 0


def test_hs256_signed_with_the_public_key_is_401(oidc_app, issuer):
    public = issuer.keys["rsa-1"].public_key().public_bytes(serialization.Encoding.PEM,
                                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    header = {"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(issuer.claims()).encode())}"
    signature = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
    rejected(oidc_app(), f"{signing_input}.{b64(signature)}")
    assert sum(issuer.fetches.values()) == 0


@pytest.mark.parametrize("header", [{"jku": "http://127.0.0.1:9/jwks.json"}, {"x5u": "http://127.0.0.1:9/cert.pem"}])
def test_a_kid_that_points_elsewhere_is_401_and_never_followed(oidc_app, issuer, header):
    attacker = FakeIssuer()
    try:
        # The attacker's key, under a kid the issuer has too, its JWKS named in the header.
        url = {name: attacker.url + JWKS_PATH for name in header}
        rejected(oidc_app(), attacker.token("rsa-1", headers=url, iss=issuer.url))
        assert sum(attacker.fetches.values()) == 0
        assert key_fetches(issuer) == 1  # the issuer's own keys, once
    finally:
        attacker.stop()


def test_a_token_of_100_kb_is_401_without_a_fetch(oidc_app, issuer):
    rejected(oidc_app(), issuer.token(padding="x" * 100_000))
    assert sum(issuer.fetches.values()) == 0


@pytest.mark.parametrize("token", ["a.b.c", "eyJ!!.eyJ.sig", "Zm9v.YmFy.YmF6", "%%%.%%%.%%%", "e30.e30.", "not a jwt"])
def test_garbage_is_401_without_a_fetch(oidc_app, issuer, token):
    assert rejected(oidc_app(), token)["code"] == 401
    assert sum(issuer.fetches.values()) == 0


def test_tokens_are_never_logged(oidc_app, issuer, caplog):
    caplog.set_level(logging.DEBUG)
    app = oidc_app()
    tokens = [issuer.token(exp=1), issuer.token(kid="ec-1", aud="x"), issuer.token(scope="none")]
    for token in tokens:
        app.get(PROTECTED, headers=bearer(token), status="*")
    assert not any(token.split(".")[2] in caplog.text for token in tokens)


# --------------------------------------------------------- keys that change --

def test_a_key_rotated_at_the_issuer_is_fetched_for_its_first_token(oidc_app, issuer):
    app = oidc_app(**{"restd.oidc.refresh_seconds": "0"})
    old = issuer.token()
    app.get(PROTECTED, headers=bearer(old), status=200)
    kid = issuer.rotate()
    app.get(PROTECTED, headers=bearer(issuer.token(kid)), status=200)
    assert key_fetches(issuer) == 2
    rejected(app, old)  # the issuer dropped its key


def test_a_flood_of_invented_kids_makes_one_fetch_per_interval(oidc_app, issuer):
    app = oidc_app()
    app.get(PROTECTED, headers=bearer(issuer.token()), status=200)
    for number in range(50):
        rejected(app, issuer.token(headers={"kid": f"invented-{number}"}))
    assert key_fetches(issuer) == 1  # the first token's was this interval's one


def test_a_stopped_issuer_leaves_cached_keys_working_and_new_kids_503(oidc_app, issuer):
    app = oidc_app(**{"restd.oidc.refresh_seconds": "0"})
    token = issuer.token()
    app.get(PROTECTED, headers=bearer(token), status=200)
    kid = issuer.rotate()
    issuer.stop()
    answer = app.get(PROTECTED, headers=bearer(issuer.token(kid)), status=503)
    assert answer.json["errno"] == 203 and "Retry-After" in answer.headers
    app.get(PROTECTED, headers=bearer(token), status=200)


def test_an_issuer_answering_garbage_leaves_cached_keys_working_and_new_kids_503(oidc_app, issuer):
    app = oidc_app(**{"restd.oidc.refresh_seconds": "0"})
    token = issuer.token()
    app.get(PROTECTED, headers=bearer(token), status=200)
    issuer.garbage = True
    for number in range(3):
        rejected(app, issuer.token(headers={"kid": f"new-{number}"}), 503)
    app.get(PROTECTED, headers=bearer(token), status=200)


def test_a_failed_fetch_makes_new_kids_503_until_the_next_interval(oidc_app, issuer):
    app = oidc_app()
    token = issuer.token()
    issuer.garbage = True
    for _ in range(5):
        rejected(app, token, 503)
    assert issuer.fetches[OIDC_DISCOVERY] + issuer.fetches[SCITOKENS_DISCOVERY] == 2  # one discovery, both paths


def test_an_issuer_down_at_the_first_token_is_503(oidc_app, issuer):
    app = oidc_app()
    token = issuer.token()
    issuer.stop()
    rejected(app, token, 503)


def test_a_jwks_larger_than_the_limit_is_a_failed_fetch(oidc_app, issuer, monkeypatch):
    monkeypatch.setattr(oidc, "MAX_DOCUMENT_BYTES", 100)
    rejected(oidc_app(), issuer.token(), 503)


# ------------------------------------------------------------ the settings --

@pytest.mark.parametrize("settings", [
    {"restd.oidc.audiences": ""},
    {"restd.oidc.issuers": ""},
    {"restd.oidc.algorithms": "RS256 HS256"},
    {"restd.oidc.algorithms": "none"},
    {"restd.oidc.jwks_urls": "http://127.0.0.1:9/a http://127.0.0.1:9/b"},
])
def test_unsafe_or_incomplete_settings_refuse_to_start(oidc_app, settings):
    with pytest.raises(PluginError, match="oidc"):
        oidc_app(**settings)


# ---------------------------------------------------- several auth plugins --

@pytest.fixture
def several(oidc_app, auth2, tmp_path):
    """kbase, oidc and static-token at once (the static token: ``static-secret``)."""
    tokens = tmp_path / "tokens"
    tokens.write_text(hashlib.sha256(b"static-secret").hexdigest() + " robot\n")
    auth2.calls.clear()
    return oidc_app(**{"restd.auth": "kbase oidc static-token", "restd.kbase.auth_url": auth2.url,
                       "restd.static_token.file": str(tokens)})


def test_each_plugin_accepts_its_own_tokens_when_several_are_named(several, issuer):
    several.get(PROTECTED, headers=bearer("admin-token"), status=200)
    several.get(PROTECTED, headers=bearer(issuer.token()), status=200)
    several.get(PROTECTED, headers=bearer("static-secret"), status=200)


def test_a_jwt_is_judged_by_oidc_alone_and_never_sent_to_kbase(several, issuer, auth2):
    token = issuer.token(exp=int(time.time()) - 3600)
    assert rejected(several, token)["errno"] == 105
    assert auth2.calls[token] == 0


def test_a_token_no_plugin_accepts_is_401(several):
    assert rejected(several, "stolen-token")["errno"] == 105


def test_no_credentials_with_several_plugins_is_401_with_every_challenge(several):
    answer = several.get(PROTECTED, status=401)
    assert answer.json["errno"] == 104
    assert 'realm="KBase"' in answer.headers["WWW-Authenticate"]


def test_several_plugins_vary_on_every_credential_header(several):
    answer = several.get(PROTECTED, headers=bearer("static-secret"))
    assert {"Authorization", "Cookie"} <= set(answer.headers["Vary"].replace(" ", "").split(","))
    assert "private" in answer.headers["Cache-Control"]


def test_several_plugins_document_every_security_scheme(several):
    schemes = several.get("/openapi.json").json["components"]["securitySchemes"]
    assert {"kbaseToken", "oidcToken", "bearerToken"} <= set(schemes)


def test_auth2_down_is_503_for_its_tokens_but_not_for_the_others(several, issuer, auth2, monkeypatch):
    monkeypatch.setattr(auth2, "delay", 0)
    app = several
    app.get(PROTECTED, headers=bearer("server-error-token"), status=503)
    app.get(PROTECTED, headers=bearer("static-secret"), status=200)
    app.get(PROTECTED, headers=bearer(issuer.token()), status=200)


@pytest.mark.parametrize("names", ["none oidc", "oidc oidc"])
def test_none_or_a_plugin_twice_among_several_refuses_to_start(oidc_app, names):
    with pytest.raises(PluginError):
        oidc_app(**{"restd.auth": names})



# ------------------------------------------------------- per identity --

def test_the_same_sub_at_two_issuers_is_two_callers_for_the_limits(oidc_app, issuer):
    other = FakeIssuer()
    try:
        app = oidc_app(**{"restd.oidc.issuers": f"{issuer.url} {other.url}", "restd.limits.rate": "2/minute"})
        for _ in range(2):
            app.get(PROTECTED, headers=bearer(issuer.token()), status=200)
        assert rejected(app, issuer.token(), 429)["errno"] == 117
        app.get(PROTECTED, headers=bearer(other.token()), status=200)  # alice of the other issuer
    finally:
        other.stop()


def test_the_access_log_names_the_caller_with_its_issuer(oidc_app, issuer, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOG)
    oidc_app().get(PROTECTED, headers=bearer(issuer.token()), status=200)
    assert f"identity={issuer.url}#alice" in caplog.text



def test_a_token_whose_alg_is_not_its_keys_is_401(oidc_app, issuer, monkeypatch):
    jwks = issuer.jwks
    monkeypatch.setattr(issuer, "jwks", lambda: {"keys": [{**key, "alg": "PS256"} for key in jwks()["keys"]]})
    rejected(oidc_app(), issuer.token())


def test_a_token_needing_new_keys_while_a_fetch_is_in_flight_is_503_at_once(oidc_app, issuer):
    app = oidc_app()
    keys = app.app.registry.restd.auth.issuers[issuer.url]
    with keys._lock:  # another request's fetch, in flight
        assert rejected(app, issuer.token(), 503)["errno"] == 203
    assert sum(issuer.fetches.values()) == 0
