"""Paging beside the v1 shapes: limit, a cursor, and Link rel=next."""
from __future__ import annotations

import re
import uuid

from .pool import into_history, pool_root

NEXT = re.compile(r'<([^>]+)>; rel="next"')


def next_url(response) -> str | None:
    match = NEXT.search(response.headers.get("Link", ""))
    return match.group(1) if match else None


def submit_idle(count: int, batch: str) -> int:
    import htcondor2

    schedd = htcondor2.Schedd()
    return schedd.submit(htcondor2.Submit({
        "executable": "/bin/sleep", "arguments": "600", "initialdir": str(pool_root() / "tmp" / "jobs"),
        "requirements": "false", "batch_name": batch,
    }), count=count).cluster()


def test_a_full_page_links_to_the_next_one(app, test_jobs):
    page = app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}?limit=2")
    assert [job["jobid"] for job in page.json] == [f"{test_jobs.held}.0", f"{test_jobs.held}.1"]
    rest = app.get(next_url(page))
    assert [job["jobid"] for job in rest.json] == [f"{test_jobs.held}.2"]
    assert next_url(rest) is None


def test_the_next_link_keeps_the_query(app, test_jobs):
    page = app.get(f"/v1/jobs/DEFAULT?limit=1&projection=Owner&constraint=ClusterId%3D%3D{test_jobs.held}")
    url = next_url(page)
    assert "projection=Owner" in url and f"after={test_jobs.held}.0" in url


def test_after_returns_the_jobs_after_a_job_id(app, test_jobs):
    answer = app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}?after={test_jobs.held}.0").json
    assert [job["jobid"] for job in answer] == [f"{test_jobs.held}.1", f"{test_jobs.held}.2"]


def test_an_after_that_is_not_a_job_id_is_400(app):
    app.get("/v1/jobs/DEFAULT?after=1.x", status=400)


def test_history_since_returns_the_jobs_recorded_after_a_job(app, test_jobs):
    everything = app.get(f"/v1/history/DEFAULT/{test_jobs.removed}").json
    oldest = everything[-1]["jobid"]
    newer = app.get(f"/v1/history/DEFAULT/{test_jobs.removed}?since={oldest}").json
    assert [job["jobid"] for job in newer] == [job["jobid"] for job in everything[:-1]]


def test_paging_returns_every_job_once_while_jobs_are_added(app, test_jobs):
    first = submit_idle(3, "restd-paging")
    constraint = f'JobBatchName == "restd-paging" && ClusterId >= {first}'
    seen: list[str] = []
    page = app.get("/v1/jobs/DEFAULT", params={"limit": 2, "constraint": constraint})
    added = None
    while True:
        seen += [job["jobid"] for job in page.json]
        if added is None:
            added = submit_idle(2, "restd-paging")  # lands after every job seen so far
        url = next_url(page)
        if url is None:
            break
        page = app.get(url)
    expected = [f"{first}.{p}" for p in range(3)] + [f"{added}.{p}" for p in range(2)]
    assert seen == expected
    remove(constraint)


def remove(constraint: str) -> None:
    import htcondor2

    htcondor2.Schedd().act(htcondor2.JobAction.Remove, constraint)


def test_pages_are_the_lowest_job_ids_in_order(app, test_jobs):
    # The schedd's own limit keeps whichever jobs its hash table yields
    # first; pages must still be cut in job-id order, or the cursor skips jobs.
    first = submit_idle(12, "restd-paging-order")
    second = submit_idle(12, "restd-paging-order")
    constraint = f'JobBatchName == "restd-paging-order" && ClusterId >= {first}'
    try:
        expected = [f"{cluster}.{proc}" for cluster in (first, second) for proc in range(12)]
        assert [job["jobid"] for job in app.get("/v1/jobs/DEFAULT", params={"constraint": constraint}).json] == expected
        seen: list[str] = []
        page = app.get("/v1/jobs/DEFAULT", params={"limit": 5, "constraint": constraint})
        while True:
            seen += [job["jobid"] for job in page.json]
            url = next_url(page)
            if url is None:
                break
            page = app.get(url)
        assert seen == expected
    finally:
        remove(constraint)


def test_the_next_link_is_a_relative_reference_whatever_the_host(app, test_jobs):
    page = app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}?limit=1", headers={"Host": "evil.example"})
    assert next_url(page).startswith(f"/v1/jobs/DEFAULT/{test_jobs.held}?")


def test_a_poisoned_host_never_reaches_the_next_caller_through_the_cache(app_with, test_jobs):
    app = app_with(**{"restd.cache.ttl": "60"})
    url = f"/v1/jobs/DEFAULT/{test_jobs.held}?limit=1"
    app.get(url, headers={"Host": "evil.example"})
    assert "evil.example" not in app.get(url).headers["Link"]


def test_the_next_link_is_under_the_public_url_when_the_ini_sets_one(app_with, test_jobs):
    app = app_with(**{"restd.public_url": "https://restd.example.org/"})
    page = app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}?limit=1", headers={"Host": "evil.example"})
    assert next_url(page).startswith(f"https://restd.example.org/v1/jobs/DEFAULT/{test_jobs.held}?")


# ---------------------------------------------------------------- history --

def removed_to_history(count: int, batch: str) -> list[str]:
    """Submit ``count`` held jobs and remove them: their ids, once all are in the history."""
    import htcondor2

    schedd = htcondor2.Schedd()
    cluster = schedd.submit(htcondor2.Submit({
        "executable": "/bin/sleep", "arguments": "600", "initialdir": str(pool_root() / "tmp" / "jobs"),
        "hold": "true", "batch_name": batch,
    }), count=count).cluster()
    into_history(schedd, cluster, count)
    return [f"{cluster}.{proc}" for proc in range(count)]


def test_a_full_history_page_links_to_the_older_one(app, test_jobs):
    first = app.get(f"/v1/history/DEFAULT/{test_jobs.removed}?limit=1")
    older = app.get(next_url(first))
    assert "before=" in next_url(first)
    assert {job["jobid"] for job in first.json + older.json} == {f"{test_jobs.removed}.{p}" for p in range(2)}
    last = app.get(next_url(older))  # the second page was full too
    assert last.json == [] and next_url(last) is None


def test_history_paging_returns_every_job_once_while_jobs_are_recorded(app, test_jobs):
    batch = f"restd-history-paging-{uuid.uuid4().hex[:8]}"
    recorded = removed_to_history(5, batch)
    constraint = f'JobBatchName == "{batch}"'
    seen: list[str] = []
    page = app.get("/v1/history/DEFAULT", params={"limit": 2, "constraint": constraint})
    while True:
        seen += [job["jobid"] for job in page.json]
        removed_to_history(1, batch)  # newer than every page still to come
        url = next_url(page)
        if url is None:
            break
        page = app.get(url)
    assert sorted(seen) == sorted(recorded) and len(seen) == len(set(seen))


def test_a_history_page_that_is_not_full_has_no_next_link(app, test_jobs):
    assert next_url(app.get(f"/v1/history/DEFAULT/{test_jobs.removed}?limit=5")) is None


def test_since_and_before_together_are_400(app):
    app.get("/v1/history/DEFAULT?since=1.0&before=2.0", status=400)


def test_a_before_cursor_that_is_not_in_the_history_is_400(app):
    assert app.get("/v1/history/DEFAULT?before=999999.0&limit=2", status=400).json["details"] == {"parameter": "before"}
