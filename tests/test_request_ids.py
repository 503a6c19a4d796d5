"""X-Request-ID and the access log: one line per request."""
from __future__ import annotations

import gc
import json
import logging
import re

import pytest
from pyramid.request import Request

from restd_core.pipeline.tweens import format_kv

from .conftest import logged

ACCESS_LOG = "restd_core.access"


def test_a_request_without_an_id_gets_a_uuid4_hex_one(app):
    assert re.fullmatch(r"[0-9a-f]{32}", app.get("/healthz").headers["X-Request-ID"])


def test_each_request_gets_its_own_id(app):
    assert app.get("/healthz").headers["X-Request-ID"] != app.get("/healthz").headers["X-Request-ID"]


def test_a_callers_valid_id_is_echoed(app):
    assert app.get("/healthz", headers={"X-Request-ID": "lb-42.a:b_c"}).headers["X-Request-ID"] == "lb-42.a:b_c"


@pytest.mark.parametrize("given", ["x" * 129, "has space", "semi;colon", 'quo"te', "é"])
def test_an_unsafe_or_too_long_id_is_replaced(app, given):
    assert app.get("/healthz", headers={"X-Request-ID": given.encode().decode("latin-1")}).headers["X-Request-ID"] != given


def test_an_error_answer_carries_the_id(app):
    assert app.get("/no/such/url", headers={"X-Request-ID": "err-1"}, status=404).headers["X-Request-ID"] == "err-1"


def test_a_gateway_error_answer_carries_the_id(app):
    answer = app.get("/v1/jobs/no-such-schedd", headers={"X-Request-ID": "err-2"}, status=404)
    assert answer.headers["X-Request-ID"] == "err-2"


def test_the_access_log_has_one_key_value_line_per_request(app, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOG)
    app.get("/healthz", headers={"X-Request-ID": "kv-1"})
    [line] = logged(caplog, ACCESS_LOG)
    assert re.fullmatch(
        r"method=GET path=/healthz status=200 duration_ms=[0-9.]+ request_id=kv-1 identity=\S+", line
    )


def test_key_value_lines_quote_values_with_spaces_or_quotes():
    assert format_kv({"path": "/a b", "identity": 'x"y', "status": 200}) == 'path="/a b" identity="x\\"y" status=200'


def test_the_access_log_can_be_json_lines(app_with, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOG)
    app_with(**{"restd.access_log.format": "json"}).get("/no/such/url", headers={"X-Request-ID": "js-1"}, status=404)
    [line] = logged(caplog, ACCESS_LOG)
    record = json.loads(line)
    assert {key: record[key] for key in ("method", "path", "status", "request_id")} == {
        "method": "GET", "path": "/no/such/url", "status": 404, "request_id": "js-1",
    }
    assert "identity" in record
    assert isinstance(record["duration_ms"], float)


def test_the_access_log_never_holds_a_token_or_a_cookie(app, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOG)
    app.get("/healthz", headers={"Authorization": "Bearer tok-SECRET", "Cookie": "kbase_session=cookie-SECRET"})
    assert "SECRET" not in caplog.text


def test_an_unknown_access_log_format_stops_the_start_up(app_with):
    with pytest.raises(ValueError, match="restd.access_log.format"):
        app_with(**{"restd.access_log.format": "xml"})


def test_an_error_answer_leaves_no_reference_cycle_through_its_request(app):
    """Else only the full garbage collection frees each failed request, and
    memory piles up while many requests fail (a pool outage)."""
    gc.collect()
    gc.disable()
    try:
        app.get("/no/such/url", status=404)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        cycles = [obj for obj in gc.garbage if isinstance(obj, Request)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert cycles == []


def test_the_access_log_and_the_404_cut_a_long_path(app, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOG)
    path = "/no/such/" + "x" * 250_000
    answer = app.get(path, status=404)
    [line] = logged(caplog, ACCESS_LOG)
    assert len(line) < 1000 and "(250009 characters)" in line
    assert len(answer.body) < 1000 and "(250009 characters)" in answer.json["message"]
