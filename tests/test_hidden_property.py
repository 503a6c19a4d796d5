"""Property, against the real pool: whatever projection, constraint or
grouping a caller asks of the jobs whose attributes read a hidden one in
many ways (``pool.LEAKS``), no answer holds a hidden value, and the two
jobs that differ only in it get the same answer: of the built-in endpoints,
and of a third party's plugin written from docs/plugins.md
(tests/plugins/restd_joblog: a history listing and counts)."""
from __future__ import annotations

from functools import partial

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import made_app
from .pool import LEAKS, LEAKY_SECRETS, PLUGIN_SECRET_LEAK, into_history, submit_leaky_jobs

#: The two jobs differ in these keys, and only in these (and the job id;
#: ServerTime is the time of the answer, whole ads of two answers may differ in it).
THEIR_OWN = {"procid", "globaljobid", "servertime"}
SECRET_WORDS = [secret.split("=", 1)[1].encode() for secret in LEAKY_SECRETS]
NAMES = sorted(LEAKS) + ["Owner", "JobStatus", "Cmd", "Environment"]
SHAPES = [
    "{a}", "!{a}", "{a} == true", "{a} =?= undefined", "{a} =!= undefined", "isUndefined({a})", "{a} > 0",
    '{a} == "aaa"', "size({a}) > 3", 'regexp("a", {a})', "ifThenElse({a}, true, false)", 'string({a}) == "true"',
    "{a} + 1 > 18", 'substr({a}, 7, 1) == "a"', '{a}.e == "x"', "member(1, {a})", 'toLower({a}) == "secret"',
]


@st.composite
def constraints(draw, names: list[str] = NAMES) -> str:
    terms = [draw(st.sampled_from(SHAPES)).format(a=draw(st.sampled_from(names)))
             for _ in range(draw(st.integers(1, 2)))]
    return f" {draw(st.sampled_from(['&&', '||']))} ".join(terms)


def projections_of(names: list[str]) -> st.SearchStrategy:
    return st.one_of(st.none(), st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True).map(",".join))


projections = projections_of(NAMES)


@pytest.fixture(scope="module")
def hiding_app(condor_config, leaky_jobs):
    with made_app({"_CONDOR_RESTD_HIDE_JOB_ATTRS": "Environment PluginSecret"}) as app:
        yield app


def check_no_secret(body: bytes) -> None:
    for word in SECRET_WORDS:
        assert word not in body, f"a hidden value is in the answer: {body[:500]!r}"


def their_own_removed(job: dict) -> dict:
    return {key: value for key, value in job["classad"].items() if key not in THEIR_OWN}


def check_alike(jobs: list[dict], cluster: int) -> None:
    """Both leaky jobs or neither, and the same classad but for their ids."""
    ours = [job for job in jobs if job["jobid"].startswith(f"{cluster}.")]
    assert len(ours) in (0, 2), f"the constraint told the jobs apart: {[job['jobid'] for job in ours]}"
    if ours:
        assert their_own_removed(ours[0]) == their_own_removed(ours[1])


EXAMPLES = settings(max_examples=80, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


@EXAMPLES
@given(constraint=constraints(), projection=projections)
def test_a_listing_never_tells_the_jobs_apart_by_a_hidden_value(hiding_app, leaky_jobs, constraint, projection):
    params = {"constraint": constraint, **({"projection": projection} if projection else {})}
    answer = hiding_app.get(f"/v1/jobs/DEFAULT/{leaky_jobs}", params=params, status="*")
    assert answer.status_int in (200, 400), answer.body[:300]
    check_no_secret(answer.body)
    if answer.status_int == 200:
        check_alike(answer.json, leaky_jobs)


@EXAMPLES
@given(groupby=st.sampled_from(sorted(LEAKS)), constraint=st.one_of(st.none(), constraints()), projection=projections)
def test_grouping_never_tells_the_jobs_apart_by_a_hidden_value(hiding_app, leaky_jobs, groupby, constraint, projection):
    params = {**({"constraint": constraint} if constraint else {}), **({"projection": projection} if projection else {})}
    answer = hiding_app.get(f"/v1/grouped_jobs/DEFAULT/{groupby}/{leaky_jobs}", params=params, status="*")
    assert answer.status_int in (200, 400), answer.body[:300]
    check_no_secret(answer.body)
    if answer.status_int == 200:
        for jobs in answer.json.values():
            check_alike(jobs, leaky_jobs)
        assert sum(map(len, answer.json.values())) in (0, 2)


@EXAMPLES
@given(projection=projections, attribute=st.sampled_from(NAMES))
def test_one_job_or_one_attribute_is_the_same_for_both_jobs(hiding_app, leaky_jobs, projection, attribute):
    query = f"?projection={projection}" if projection else ""
    first, second = (hiding_app.get(f"/v1/jobs/DEFAULT/{leaky_jobs}/{proc}{query}") for proc in (0, 1))
    check_no_secret(first.body + second.body)
    assert their_own_removed(first.json) == their_own_removed(second.json)
    values = [hiding_app.get(f"/v1/jobs/DEFAULT/{leaky_jobs}/{proc}/{attribute}", status="*") for proc in (0, 1)]
    check_no_secret(values[0].body + values[1].body)
    assert [orjson.loads(value.body) for value in values][0] == orjson.loads(values[1].body)


@EXAMPLES
@given(by=st.lists(st.sampled_from(sorted(LEAKS)), min_size=1, max_size=3, unique=True).map(",".join),
       constraint=st.one_of(st.none(), constraints()))
def test_job_counts_never_tell_the_jobs_apart_by_a_hidden_value(hiding_app, leaky_jobs, by, constraint):
    answer = counts_of(hiding_app, "/v1/summary/jobs/DEFAULT", leaky_jobs, by, constraint)
    if answer is not None:
        assert [group["count"] for group in answer["groups"]] in ([], [2]), answer["groups"]


def counts_of(app, url: str, cluster: int, by: str, constraint: str | None) -> dict | None:
    """The counts ``url`` answers of the cluster's jobs (None for a 400), their bytes checked."""
    where = f"ClusterId == {cluster}" + (f" && ({constraint})" if constraint else "")
    answer = app.get(url, params={"by": by, "constraint": where}, status="*")
    assert answer.status_int in (200, 400), answer.body[:300]
    check_no_secret(answer.body)
    return answer.json if answer.status_int == 200 else None


@pytest.fixture(scope="module")
def leaky_history(condor_config, test_jobs) -> int:
    """A cluster of two leaky jobs (one per secret, also in ``PluginSecret``,
    which ``Leak`` reads), removed: they are in the history."""
    import htcondor2

    cluster = submit_leaky_jobs(**PLUGIN_SECRET_LEAK)
    into_history(htcondor2.Schedd(), cluster, 2)
    return cluster


#: The history listings: the built-in one, and the third party's.
HISTORY_LISTINGS = ["/v1/history/DEFAULT", "/v1/joblog/DEFAULT"]
HISTORY_NAMES = [*NAMES, "Leak"]


history_constraints = partial(constraints, HISTORY_NAMES)
history_projections = projections_of(HISTORY_NAMES)


@pytest.mark.parametrize("listing", HISTORY_LISTINGS)
@EXAMPLES
@given(constraint=history_constraints(), projection=history_projections)
def test_a_history_listing_never_tells_the_jobs_apart_by_a_hidden_value(hiding_app, leaky_history, listing,
                                                                        constraint, projection):
    params = {"constraint": f"ClusterId == {leaky_history} && ({constraint})",
              **({"projection": projection} if projection else {})}
    answer = hiding_app.get(listing, params=params, status="*")
    assert answer.status_int in (200, 400), answer.body[:300]
    check_no_secret(answer.body)
    if answer.status_int == 200:
        check_alike(answer.json, leaky_history)


@EXAMPLES
@given(by=st.sampled_from(sorted(LEAKS) + ["Leak"]), constraint=st.one_of(st.none(), history_constraints()))
def test_a_plugins_counts_never_tell_the_jobs_apart_by_a_hidden_value(hiding_app, leaky_history, by, constraint):
    answer = counts_of(hiding_app, "/v1/joblog_counts/DEFAULT", leaky_history, by, constraint)
    if answer is not None:
        assert answer["total"] in (0, 2) and [count["count"] for count in answer["counts"]] in ([], [2])


def _prefix_answers(app, listing: str, cluster: int) -> list[list[str]]:
    """The jobs a prefix-oracle constraint chooses, for each prefix of the
    first job's secret (``substr`` of ``Leak``, which reads ``PluginSecret``)."""
    secret = LEAKY_SECRETS[0]
    return [[job["jobid"] for job in app.get(listing, params={
        "constraint": f'ClusterId == {cluster} && substr(Leak, 0, {size}) == "{secret[:size]}"'}).json]
        for size in range(1, len(secret) + 1)]


@pytest.mark.parametrize("listing", HISTORY_LISTINGS)
def test_a_prefix_oracle_constraint_learns_nothing_of_a_hidden_value(hiding_app, leaky_history, listing):
    assert _prefix_answers(hiding_app, listing, leaky_history) == [[]] * len(LEAKY_SECRETS[0])


def test_without_hidden_attributes_the_prefix_oracle_reads_the_value(app, leaky_history):
    """What the test above would catch: the oracle works when nothing is hidden."""
    assert _prefix_answers(app, "/v1/joblog/DEFAULT", leaky_history)[-1] == [f"{leaky_history}.0"]
