"""The security policy: auth plugins, the default permission, and every
route of the app behind it."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from restd_core.assembly.plugins import PluginError

from .conftest import make_app

#: Routes anyone may call; every other route must need a permission.
PUBLIC = {"/", "/healthz", "/readyz", "/openapi.json", "/docs", "docs/static/*subpath",
          "/ui", "/ui/", "/ui/{version}/{name}"}
PROTECTED = "/v1/jobs/DEFAULT/999999"
PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app_made(app_with):
    """``app_made(**settings)``: an app of its own (one worker), closed afterwards."""
    return lambda **settings: app_with(**{"restd.gateway.workers": "1", **settings})


@pytest.fixture
def kbase_app_with(app_made, auth2, monkeypatch):
    """``kbase_app_with(**settings)``: an app with the kbase plugin."""
    monkeypatch.delenv("AUTH_URL", raising=False)
    return lambda **settings: app_made(**{"restd.auth": "kbase", "restd.kbase.auth_url": auth2.url, **settings})


@pytest.fixture
def kbase_app(kbase_app_with):
    return kbase_app_with()


def route_patterns(app) -> list[str]:
    return [item["introspectable"]["pattern"] for item in app.app.registry.introspector.get_category("routes")]


def example_url(pattern: str) -> str:
    """A URL the route matches: every placeholder filled with ``1``."""
    url = re.sub(r"\*\w+$", "x", re.sub(r"\{[^}]+\}", "1", pattern))
    return url if url.startswith("/") else "/" + url


# ------------------------------------------------- every route is guarded --

def test_the_route_walk_sees_the_endpoint_plugins(kbase_app):
    assert "/v1/jobs/{schedd}" in route_patterns(kbase_app)


def test_every_non_public_route_answers_401_without_credentials(kbase_app):
    answers = {p: kbase_app.get(example_url(p), status="*") for p in route_patterns(kbase_app) if p not in PUBLIC}
    assert {p: a.status_int for p, a in answers.items() if a.status_int != 401} == {}
    assert all(a.json["errno"] == 104 and "WWW-Authenticate" in a.headers for a in answers.values())


def test_every_non_public_route_answers_403_without_the_role(kbase_app):
    headers = {"Authorization": "other-role-token"}
    answers = {p: kbase_app.get(example_url(p), headers=headers, status="*") for p in route_patterns(kbase_app) if p not in PUBLIC}
    assert {p: a.status_int for p, a in answers.items() if a.status_int != 403} == {}


def test_public_routes_answer_without_credentials(kbase_app):
    for path in ("/", "/healthz"):
        kbase_app.get(path, status=200)


def install_plugin(tmp_path, monkeypatch, module: str, source: str, group: str, entry: str) -> None:
    """A one-module package on ``sys.path`` with one entry point."""
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
    dist_info = tmp_path / f"{module}-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text(f"[{group}]\n{entry}\n")
    monkeypatch.syspath_prepend(str(tmp_path))


def test_an_endpoint_that_declares_no_permission_needs_read(kbase_app_with, tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "forgetful", '''
        from cornice import Service

        forgotten = Service(name="forgotten", path="/v1/forgotten")

        @forgotten.get()
        def get_forgotten(request):
            return {"open": True}

        def includeme(config):
            config.add_cornice_service(forgotten)
    ''', "restd.endpoints", "forgetful = forgetful")
    kbase_app_with(**{"restd.endpoints": "forgetful"}).get("/v1/forgotten", status=401)


# ----------------------------------------------------------------- plugins --

def test_without_restd_auth_everyone_may_read(app):
    app.get(PROTECTED, status=200)


def test_an_unknown_auth_plugin_stops_the_start_up_naming_it(condor_config):
    with pytest.raises(PluginError, match="'nope' not installed"):
        make_app(**{"restd.auth": "nope"})


def test_a_third_party_auth_plugin_is_found_through_its_entry_point(app_made, tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "header_auth", '''
        from restd_core.pipeline.security import Identity

        class HeaderAuth:
            def __init__(self, settings):
                self.reader = settings["header_auth.reader"]

            def identity(self, request):
                user = request.headers.get("X-User")
                return Identity(user) if user else None

            def permits(self, request, identity, permission):
                return identity.userid == self.reader
    ''', "restd.auth", "header = header_auth:HeaderAuth")
    app = app_made(**{"restd.auth": "header", "header_auth.reader": "carol"})
    app.get(PROTECTED, status=401)
    app.get(PROTECTED, headers={"X-User": "dave"}, status=403)
    app.get(PROTECTED, headers={"X-User": "carol"}, status=200)


# ------------------------------------------------ no open server by mistake --

def ini_listening_on(tmp_path, listen: str) -> str:
    ini = tmp_path / "server.ini"
    ini.write_text(f"[app:main]\nuse = egg:condor-restd\n\n[server:main]\nuse = egg:waitress#main\n{listen}\n")
    return str(ini)


@pytest.mark.parametrize("listen", ["listen = 0.0.0.0:9680", "listen = localhost:9680 *:9681", "host = example.org", ""])
def test_auth_none_refuses_to_serve_beyond_loopback(condor_config, tmp_path, listen):
    with pytest.raises(PluginError, match="allow_open"):
        make_app(**{"restd.auth": "none", "restd.ini_file": ini_listening_on(tmp_path, listen)})


@pytest.mark.parametrize("listen", ["listen = localhost:9680", "listen = 127.0.0.1:9680 [::1]:9680"])
def test_auth_none_serves_on_loopback(app_made, tmp_path, listen):
    app_made(**{"restd.auth": "none", "restd.ini_file": ini_listening_on(tmp_path, listen)}).get("/", status=200)


def test_auth_none_serves_beyond_loopback_when_the_ini_says_it_is_intended(app_made, tmp_path):
    app = app_made(**{"restd.auth": "none", "restd.auth.allow_open": "true",
                      "restd.ini_file": ini_listening_on(tmp_path, "listen = 0.0.0.0:9680")})
    app.get("/", status=200)


# --------------------------------------------------------------- ini files --

def load_ini(path):
    from paste.deploy import loadapp

    return loadapp(f"config:{path}")


def test_production_ini_asks_kbase(condor_config, monkeypatch):
    from restd_plugins.auth.kbase import KBaseAuth

    monkeypatch.delenv("AUTH_URL", raising=False)
    router = load_ini(PROJECT / "production.ini")
    try:
        assert isinstance(router.registry.restd.auth, KBaseAuth)
    finally:
        router.registry.restd.gateway.close()


def test_production_ini_with_auth_none_refuses_to_start(condor_config, tmp_path):
    ini = tmp_path / "production.ini"
    ini.write_text((PROJECT / "production.ini").read_text().replace("restd.auth = kbase", "restd.auth = none"))
    with pytest.raises(PluginError, match="0.0.0.0"):
        load_ini(ini)


def test_development_ini_is_open_on_localhost(condor_config):
    from restd_plugins.auth.none import NoAuth

    router = load_ini(PROJECT / "development.ini")
    try:
        assert isinstance(router.registry.restd.auth, NoAuth)
    finally:
        router.registry.restd.gateway.close()


# ------------------------------------------------------ shared caches --

def cache_directives(answer) -> set[str]:
    return {d.strip() for d in answer.headers.get("Cache-Control", "").split(",") if d.strip()}


def varies_with(answer) -> set[str]:
    return {h.strip().lower() for h in answer.headers.get("Vary", "").split(",") if h.strip()}


def test_answers_that_depend_on_credentials_are_private_and_vary_with_them(kbase_app):
    """A shared cache must not give one user's answer (nor a 401) to another."""
    kbase_app.set_cookie("kbase_session", "admin-token")
    answer = kbase_app.get("/v1/jobs/DEFAULT", status=200)
    unchanged = kbase_app.get("/v1/jobs/DEFAULT", headers={"If-None-Match": answer.headers["ETag"]}, status=304)
    kbase_app.reset()
    refused = kbase_app.get("/v1/jobs/DEFAULT", status=401)
    for each in (answer, unchanged, refused):
        assert {"private", "no-cache"} <= cache_directives(each)
        assert {"cookie", "authorization"} <= varies_with(each)


def test_an_open_servers_answers_are_revalidated_but_not_private(app):
    """With ``none`` every caller gets the same answer: a shared cache may keep it, asking again each time."""
    answer = app.get(PROTECTED, status=200)
    assert cache_directives(answer) == {"no-cache"}
    assert not varies_with(answer) & {"cookie", "authorization"}


def test_public_answers_say_nothing_of_credentials(kbase_app):
    answer = kbase_app.get("/healthz", headers={"Authorization": "admin-token"}, status=200)
    assert "private" not in cache_directives(answer) and not varies_with(answer) & {"cookie", "authorization"}
