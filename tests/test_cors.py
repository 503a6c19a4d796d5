"""CORS: off by default, an allow-list of origins from the ini."""
from __future__ import annotations

import pytest

from .conftest import make_app

ORIGIN = "https://ci.kbase.us"
PROTECTED = "/v1/jobs/DEFAULT/999999"


@pytest.fixture
def cors_app(app_with):
    return lambda **settings: app_with(**{"restd.gateway.workers": "1", **settings})


def preflight(app, origin: str, status):
    return app.options(PROTECTED, headers={"Origin": origin, "Access-Control-Request-Method": "GET",
                                            "Access-Control-Request-Headers": "authorization"}, status=status)


def test_cors_is_off_by_default(cors_app):
    answer = cors_app().get(PROTECTED, headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_a_listed_origin_may_read_the_answer(cors_app):
    answer = cors_app(**{"restd.cors.origins": f"{ORIGIN} https://other.example"}).get(PROTECTED, headers={"Origin": ORIGIN})
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in answer.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in answer.headers


def test_an_origin_not_listed_gets_no_cors_headers(cors_app):
    answer = cors_app(**{"restd.cors.origins": ORIGIN}).get(PROTECTED, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_credentials_are_allowed_only_when_the_ini_says_so(cors_app):
    app = cors_app(**{"restd.cors.origins": ORIGIN, "restd.cors.allow_credentials": "true"})
    assert app.get(PROTECTED, headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Credentials"] == "true"


def test_a_preflight_from_a_listed_origin_is_answered_without_credentials(cors_app):
    app = cors_app(**{"restd.cors.origins": ORIGIN, "restd.auth": "static-token", "restd.static_token.file": "/dev/null"})
    answer = preflight(app, ORIGIN, 204)
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Authorization" in answer.headers["Access-Control-Allow-Headers"]
    assert "GET" in answer.headers["Access-Control-Allow-Methods"]


def test_a_401_carries_the_cors_headers_so_the_page_can_read_it(cors_app):
    app = cors_app(**{"restd.cors.origins": ORIGIN, "restd.auth": "static-token", "restd.static_token.file": "/dev/null"})
    assert app.get(PROTECTED, headers={"Origin": ORIGIN}, status=401).headers["Access-Control-Allow-Origin"] == ORIGIN


def test_any_origin_with_credentials_stops_the_start_up(condor_config):
    with pytest.raises(ValueError, match=r"\*"):
        make_app(**{"restd.cors.origins": "*", "restd.cors.allow_credentials": "true"})


@pytest.mark.parametrize("cors", [{}, {"restd.cors.origins": ORIGIN}], ids=["cors off", "cors on"])
def test_options_on_a_route_is_204_with_its_methods_in_allow(cors_app, cors):
    answer = cors_app(**cors).options(PROTECTED, status=204)
    assert set(answer.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_options_on_an_unknown_url_is_404(cors_app):
    cors_app().options("/no/such/url", status=404)
