"""/docs: Swagger UI over /openapi.json, from the server's own files, as a
headless Chromium (installed by scripts/test.sh) renders it."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By

from .browser import chromium, driven, png_size
from .conftest import made_app
from .live_server import serve
from .waiting import eventually


@pytest.fixture(scope="module")
def live_url(condor_config, test_jobs) -> Iterator[str]:
    with made_app() as app, serve(app.app) as url:
        yield url


def rendered_dom(url: str) -> str:
    return chromium("--dump-dom", url)


def test_the_docs_page_is_public_html(app):
    page = app.get("/docs")
    assert page.content_type == "text/html"
    assert "swagger-ui-bundle.js" in page.text


def test_the_docs_page_loads_nothing_from_elsewhere(app):
    page = app.get("/docs").text
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert 'validatorUrl: null' in app.get("/docs/static/docs.js").text


def test_swagger_ui_is_served_with_its_license(app):
    assert app.get("/docs/static/swagger-ui/swagger-ui-bundle.js").content_type in (
        "application/javascript", "text/javascript")
    assert app.get("/docs/static/swagger-ui/swagger-ui.css").content_type == "text/css"
    assert "Apache License" in app.get("/docs/static/swagger-ui/LICENSE").text


def test_a_browser_shows_the_jobs_endpoint_on_the_docs_page(live_url):
    dom = rendered_dom(f"{live_url}/docs")
    assert 'data-path="/v1/jobs/{schedd}"' in dom
    assert "condor-restd" in dom


def test_a_screenshot_of_the_docs_page_is_a_rendered_page(live_url, tmp_path):
    shot = tmp_path / "docs.png"
    chromium(f"--screenshot={shot}", f"{live_url}/docs")
    png = shot.read_bytes()
    assert png_size(png) == (1280, 2000)
    assert len(png) > 50_000, "a blank page compresses to a few kB; Swagger UI's is far larger"


@pytest.mark.parametrize("path", ["/docs", "/openapi.json", "/docs/static/docs.js"])
def test_the_docs_and_the_document_cannot_be_framed(app, path):
    answer = app.get(path, status=200)
    assert answer.headers["X-Frame-Options"] == "DENY"
    if path != "/docs/static/docs.js":
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/docs/static/..", "/docs/static/", "/docs/static/swagger-ui", "/docs/static/../x"])
def test_a_directory_or_a_name_outside_the_docs_files_is_a_json_404(app, path):
    answer = app.get(path, status=404)
    assert answer.json["errno"] == 111 and "Location" not in answer.headers


def test_a_browser_tries_an_operation_on_the_docs_page_within_its_policy(live_url):
    with driven() as browser:
        browser.get(f"{live_url}/docs")
        operation = eventually(lambda: browser.find_elements(By.CSS_SELECTOR, "[id$='-get_config_attribute']"),
                               what="the config endpoint shown")[0]
        operation.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
        eventually(lambda: operation.find_elements(By.CSS_SELECTOR, ".try-out__btn"), what="Try it out")[0].click()
        operation.find_element(By.CSS_SELECTOR, "input[placeholder='attribute']").send_keys("CONDOR_HOST")
        operation.find_element(By.CSS_SELECTOR, ".execute").click()
        status = eventually(lambda: operation.find_elements(By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status"),
                            what="the answer shown")[0].text
        console = [entry["message"] for entry in browser.get_log("browser")]
    assert status.startswith("200")
    assert not [line for line in console if "Content Security Policy" in line or "Uncaught" in line]
