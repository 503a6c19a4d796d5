"""Revalidation over real HTTP (waitress, as deployed): a 304 saves the
download and the connection; ``If-None-Match: *`` per RFC 9110."""
from __future__ import annotations

import http.client
from collections.abc import Iterator

import pytest

from .live_server import serve


@pytest.fixture(scope="module")
def server(app) -> Iterator[str]:
    """The suite's app served by waitress: its host:port."""
    with serve(app.app) as url:
        yield url.removeprefix("http://")


def get(connection: http.client.HTTPConnection, path: str, **headers: str) -> http.client.HTTPResponse:
    connection.request("GET", path, headers=headers)
    answer = connection.getresponse()
    answer.read()
    return answer


def test_a_304_keeps_the_connection_open(server, test_jobs):
    path = f"/v1/jobs/DEFAULT/{test_jobs.held}?projection=Owner,JobStatus"
    connection = http.client.HTTPConnection(server, timeout=30)
    etag = get(connection, path).headers["ETag"]
    revalidated = get(connection, path, **{"If-None-Match": etag})
    socket_after_304 = connection.sock
    again = get(connection, path, **{"If-None-Match": etag})
    connection.close()
    assert revalidated.status == 304 and revalidated.headers["Connection"] is None
    assert again.status == 304 and socket_after_304 is not None and connection.sock is None  # reused, then closed here


def test_if_none_match_any_is_304_for_a_job_that_exists(server, test_jobs):
    connection = http.client.HTTPConnection(server, timeout=30)
    answer = get(connection, f"/v1/jobs/DEFAULT/{test_jobs.held}", **{"If-None-Match": "*"})
    connection.close()
    assert answer.status == 304 and answer.headers["ETag"]


def test_if_none_match_any_is_still_404_for_a_job_that_does_not_exist(server, test_jobs):
    connection = http.client.HTTPConnection(server, timeout=30)
    answer = get(connection, "/v1/jobs/DEFAULT/999999/0", **{"If-None-Match": "*"})
    connection.close()
    assert answer.status == 404


def server_times(listing) -> set[int]:
    return {job["classad"]["servertime"] for job in listing.json}


def test_a_whole_ad_listing_keeps_its_etag_when_only_server_time_changes(app, test_jobs):
    # No cache here (the suite's app): each answer is the schedd's, asked again.
    url = f"/v1/jobs/DEFAULT/{test_jobs.held}"
    first = again = app.get(url)
    while server_times(again) == server_times(first):
        again = app.get(url)  # the schedd's clock ticks within a second
    assert again.headers["ETag"] == first.headers["ETag"]
    app.get(url, headers={"If-None-Match": first.headers["ETag"]}, status=304)


def test_a_single_whole_ad_keeps_its_etag_when_only_server_time_changes(app, test_jobs):
    url = f"/v1/jobs/DEFAULT/{test_jobs.held}/0"
    first = app.get(url)
    while (again := app.get(url)).json["classad"]["servertime"] == first.json["classad"]["servertime"]:
        pass
    assert again.headers["ETag"] == first.headers["ETag"] and again.headers["ETag"].startswith('W/"')
