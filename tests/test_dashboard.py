"""The dashboard's files as the server sends them (plugin ``ui``): public,
typed, cached by version, under a Content-Security-Policy that allows only
our own files. What the page shows is tests/test_dashboard_browser.py."""
from __future__ import annotations

import re
from importlib.resources import files

import pytest

from restd_plugins.ui.assets import CONTENT_TYPES, PAGE, Assets

STATIC = files("restd_plugins.ui") / "static"


def asset_urls(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', page)


@pytest.fixture(scope="module")
def page(app):
    return app.get("/ui/")


def test_the_page_is_public_html(page):
    assert page.content_type == "text/html"
    assert page.charset == "utf-8"
    assert "<h1>HTCondor pool</h1>" in page.text


def test_the_page_is_revalidated_on_every_load(app, page):
    assert page.headers["Cache-Control"] == "no-cache"
    app.get("/ui/", headers={"If-None-Match": page.headers["ETag"]}, status=304)


def test_the_page_runs_only_our_own_files(page):
    policy = dict(part.strip().split(" ", 1) for part in page.headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_the_page_has_no_inline_script_or_style(page):
    assert re.findall(r"<script(?![^>]*\bsrc=)", page.text) == []
    assert not re.search(r"\son\w+=", page.text)
    assert not re.search(r"\sstyle=", page.text)
    assert "<style" not in page.text


def test_the_page_loads_nothing_from_elsewhere(page):
    assert asset_urls(page.text)
    assert all(not re.match(r"([a-z]+:)?//", url) for url in asset_urls(page.text))


def test_every_file_the_page_names_is_served_with_its_type_and_kept_a_year(app, page):
    for url in asset_urls(page.text):
        if url.startswith("../"):
            continue  # the link to /docs
        answer = app.get(f"/ui/{url}")
        assert answer.headers["Content-Type"] == CONTENT_TYPES[url.split("/")[-1]]
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_the_scripts_import_only_files_that_are_served():
    for name in (n for n in CONTENT_TYPES if n.endswith(".js")):
        for imported in re.findall(r'from "([^"]+)"', (STATIC / name).read_text()):
            assert imported.startswith("./") and imported[2:] in CONTENT_TYPES, (name, imported)


def test_every_file_of_the_static_directory_is_served():
    assert {entry.name for entry in STATIC.iterdir()} == {PAGE, *CONTENT_TYPES}


def test_the_files_are_named_by_the_version_of_their_contents(app, page):
    version = asset_urls(page.text)[0].split("/")[0]
    assert re.fullmatch(r"[0-9a-f]{16}", version)
    assert app.app.registry.restd.kept(Assets).version == version


def test_a_file_of_another_version_is_404_so_an_old_page_never_mixes_files(app):
    answer = app.get("/ui/0123456789abcdef/app.js", status=404)
    assert answer.json["errno"] == 111


@pytest.mark.parametrize("name", ["index.html", "..%2Fplugin.py", "nope.js", "%2e%2e", "app.js%00"])
def test_a_name_that_is_not_one_of_the_files_is_404(app, page, name):
    version = app.app.registry.restd.kept(Assets).version
    assert app.get(f"/ui/{version}/{name}", status=(400, 404)).content_type == "application/json"


def test_ui_without_the_slash_leads_to_the_page(app):
    assert app.get("/ui", status=302).headers["Location"].endswith("/ui/")


def test_the_page_and_its_files_need_no_credentials_whatever_the_auth_plugin(app_with, tmp_path):
    (tmp_path / "tokens").write_text("0" * 64 + "\n")
    guarded = app_with(**{"restd.auth": "static-token", "restd.static_token.file": str(tmp_path / "tokens"),
                          "restd.gateway.workers": "1"})
    page = guarded.get("/ui/", status=200)
    for url in asset_urls(page.text):
        if not url.startswith("../"):
            guarded.get(f"/ui/{url}", status=200)
    guarded.get("/v1/jobs/DEFAULT", status=401)


def test_a_server_without_the_ui_plugin_has_no_page(app_with):
    assert app_with(**{"restd.endpoints": "jobs status", "restd.gateway.workers": "1"}).get("/ui/", status=404)
