"""A URL that cannot be read (invalid UTF-8, control characters in the
path, NUL in the query) is a JSON 400 with a request id and a log line,
never a 500, on every route."""
from __future__ import annotations

import pytest

from .conftest import logged

ACCESS_LOG = "restd_core.access"

#: One URL of each kind of route: plugin routes, core routes, an unknown one.
PATHS = ["/v1/jobs/{}", "/v1/jobs/DEFAULT/{}", "/v1/grouped_jobs/DEFAULT/{}", "/v1/status/{}",
         "/v1/config/{}", "/healthz/{}", "/no/such/{}"]
BAD_SEGMENTS = ["%ff", "a%c3", "%c0%af", "%ed%a0%80", "x%0A", "%0Dx", "a%00b", "%1b[31m", "%7f", "%c2%85"]


@pytest.mark.parametrize("segment", BAD_SEGMENTS)
@pytest.mark.parametrize("path", PATHS)
def test_a_path_segment_that_cannot_be_read_is_a_json_400(app, path, segment):
    answer = app.get(path.format(segment), headers={"X-Request-ID": "bad-url-1"}, status=400)
    assert answer.json["errno"] == 107
    assert answer.headers["X-Request-ID"] == "bad-url-1"


@pytest.mark.parametrize("query", ["projection=%ff", "%ff=1", "constraint=a%c3", "limit=1%00", "constraint=true%00%7C%7C"])
def test_a_query_that_cannot_be_read_is_a_json_400(app, query):
    assert app.get(f"/v1/jobs/DEFAULT?{query}", status=400).json["errno"] == 107


def test_a_constraint_may_hold_newlines_and_tabs(app, test_jobs):
    assert len(app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}?constraint=true%0A%09%26%26%20true").json) == 3


def test_an_unreadable_url_has_an_access_log_line(app, caplog):
    with caplog.at_level("INFO", logger=ACCESS_LOG):
        app.get("/v1/jobs/%ff%0A", status=400)
    [line] = logged(caplog, ACCESS_LOG)
    assert 'path="/v1/jobs/\\\\xff\\n"' in line and "status=400" in line
