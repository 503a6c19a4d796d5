"""A list parameter given as repeated keys (what generated clients send)
means what its comma-separated form means; a one-value parameter given
twice is a 400 that says so, in words."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from .test_paging import next_url


def test_a_repeated_projection_is_the_comma_separated_one(app, test_jobs):
    repeated = app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}?projection=Owner&projection=JobStatus").json
    joined = app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}?projection=Owner,JobStatus").json
    assert repeated == joined and set(repeated[0]["classad"]) >= {"owner", "jobstatus"}


def test_a_repeated_by_is_the_comma_separated_one(app, test_jobs):
    query = f"constraint=ClusterId=={test_jobs.held}"
    repeated = app.get(f"/v1/summary/jobs/DEFAULT?by=Owner&by=JobStatus&{query}").json["groups"]
    joined = app.get(f"/v1/summary/jobs/DEFAULT?by=Owner,JobStatus&{query}").json["groups"]
    assert repeated == joined and {"owner", "jobstatus"} <= set(repeated[0]["key"])


def test_the_next_link_keeps_every_repeated_value(app, test_jobs):
    page = app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}?limit=1&projection=Owner&projection=JobStatus")
    assert parse_qs(urlsplit(next_url(page)).query)["projection"] == ["Owner,JobStatus"]


def test_a_one_value_parameter_given_twice_is_a_400_in_words(app, test_jobs):
    answer = app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}?limit=1&limit=2", status=400).json
    assert answer["message"] == "limit: given more than once; it takes one value"
