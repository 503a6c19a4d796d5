"""The watch endpoints (plugin ``watch``) over real HTTP against the real
pool: a query's changes as Server-Sent Events from one shared poller."""
from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from urllib.parse import quote

import jsonschema
import orjson
import pytest
import requests

from restd_core.openapi.document import ERROR_SCHEMA
from restd_core.pipeline.errors import Errno
from restd_plugins.watch.hub import Hub
from restd_plugins.watch.settings import WatchSettings, caller_cap, watcher_cap

from .fake_issuer import AUDIENCE
from .live_server import serve
from .pool import SECRET, frozen, pool_sh, restore_pool
from .sse import Event, Stream
from .waiting import eventually, wait_until
from .wsgi_servers import Server

#: Short times, so that the tests wait little (bounds, never assertions).
WATCH = {
    "restd.watch.interval": "0.3",
    "restd.watch.heartbeat": "1",
    "restd.watch.max_watchers": "8",
    "restd.watch.max_watchers_per_caller": "0",
    "restd.watch.caller_share": "1",  # one caller: every place but one
    "restd.watch.linger": "30",
}
#: Other callers (auth none: one per address): loopback addresses of their own.
OTHER, THIRD = "127.0.0.2", "127.0.0.3"
#: A heartbeat that never comes during a test: a place given back is not the
#: server's failed write to a client that went.
NO_HEARTBEAT = {"restd.watch.heartbeat": "300"}
#: Bounded waits of the tests themselves.
PATIENCE = 30


@pytest.fixture
def served(app_with) -> Iterator[Callable[..., tuple]]:
    """``served(threads=12, env=None, **settings)``: an app of its own over
    real HTTP, ``(testapp, base url)``; its streams and pollers end first at
    teardown, then the server, then the app."""
    with ExitStack() as stack:
        def factory(threads: int = 12, env: dict[str, str] | None = None, **settings: str) -> tuple:
            testapp = app_with(env=env, **{**WATCH, **settings})
            url = stack.enter_context(serve(testapp.app, threads=threads))
            stack.callback(testapp.app.registry.restd.kept(Hub).close)
            return testapp, url

        yield factory


@pytest.fixture
def tag(condor_config: str) -> Iterator[str]:
    """A value of ``RestdWatch`` of this test's own jobs, removed after it."""
    import htcondor2

    value = uuid.uuid4().hex
    yield value
    default_schedd().act(htcondor2.JobAction.Remove, f'RestdWatch == "{value}"', reason="restd watch test")


def default_schedd():
    """The pool's default schedd, found through the collector, which may
    lack its ad a moment after the pool's daemons were stopped and thawed
    (bounded: PATIENCE)."""
    import htcondor2

    def located():
        try:
            return htcondor2.Schedd()
        except htcondor2.HTCondorException:
            return None

    return eventually(located, PATIENCE, what="the default schedd found", interval=0.5)


def submit(tag: str, hold: bool = False) -> str:
    """One job of ``tag`` that never runs; its id."""
    import htcondor2

    cluster = default_schedd().submit(htcondor2.Submit({
        "executable": "/bin/sleep", "arguments": "600", "initialdir": "/tmp", "requirements": "false",
        "hold": "true" if hold else "false", "My.RestdWatch": f'"{tag}"', "My.RestdTest": '"yes"',
    })).cluster()
    return f"{cluster}.0"


def act(action: str, job: str) -> None:
    import htcondor2

    default_schedd().act(getattr(htcondor2.JobAction, action), [job])


def watch_of(tag: str, projection: str = "JobStatus,RestdWatch") -> str:
    return f"/v1/watch/jobs/DEFAULT?projection={projection}&constraint=RestdWatch%3D%3D%22{tag}%22"


def named(name: str, job: str | None = None) -> Callable[[Event], bool]:
    return lambda event: event.name == name and (job is None or event.data["id"] == job)


def left(hub) -> Callable[[], bool]:
    """Whether the server noticed every client left."""
    return lambda: hub.watchers == 0


def left_after_the_snapshot(url: str) -> str:
    """The last event id of a client that read its snapshot and left."""
    with Stream(url) as stream:
        stream.next()
        return stream.last_id


def polls(testapp) -> float:
    """The jobs queries the gateway made (its call counter)."""
    value = testapp.app.registry.restd.metrics.registry.get_sample_value(
        "restd_htcondor_call_duration_seconds_count", {"operation": "query_jobs", "daemon": "schedd"})
    return value or 0.0


# ------------------------------------------------------------- the events --

def test_the_first_event_is_a_snapshot_of_the_query_not_resumed(served, tag):
    job = submit(tag)
    _, url = served()
    with Stream(url + watch_of(tag)) as stream:
        assert stream.status == 200
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        first = stream.next()
    assert first.name == "snapshot"
    assert first.data == {"items": {job: {"jobstatus": 1, "restdwatch": tag}}, "resumed": False}


def test_a_submitted_held_released_and_removed_job_arrives_in_order(served, tag):
    _, url = served()
    with Stream(url + watch_of(tag)) as stream:
        assert stream.next().data["items"] == {}
        job = submit(tag)
        seen = stream.until(named("added", job))
        act("Hold", job)
        seen += stream.until(lambda event: event.name == "changed" and event.data["attrs"].get("jobstatus") == 5)
        act("Release", job)
        seen += stream.until(lambda event: event.name == "changed" and event.data["attrs"].get("jobstatus") == 1)
        act("Remove", job)
        seen += stream.until(named("removed", job))
    assert [(event.name, event.data) for event in seen] == [
        ("added", {"id": job, "attrs": {"jobstatus": 1, "restdwatch": tag}}),
        ("changed", {"id": job, "attrs": {"jobstatus": 5}}),
        ("changed", {"id": job, "attrs": {"jobstatus": 1}}),
        *[("changed", {"id": job, "attrs": {"jobstatus": 3}})] * (len(seen) == 5),  # if a poll saw it removed
        ("removed", {"id": job}),
    ]


def test_every_event_has_an_id_of_its_poller_in_sequence(served, tag):
    _, url = served()
    with Stream(url + watch_of(tag)) as stream:
        events = [stream.next()]
        job = submit(tag)
        events += stream.until(named("added", job))
        act("Hold", job)
        events += stream.until(named("changed", job))
    epochs = {event.id.split("-")[0] for event in events}
    sequence = [int(event.id.split("-")[1]) for event in events]
    assert len(epochs) == 1
    assert sequence == list(range(sequence[0], sequence[0] + len(events)))


#: What the schedd itself writes into a held job's ad in its own time: the
#: job's autocluster, once it has sorted the queue for the negotiator.
SCHEDD_BOOKKEEPING = {"autoclusterid", "autoclusterattrs"}


def test_a_watch_of_whole_ads_sends_no_change_while_nothing_changes(served, tag):
    job = submit(tag, hold=True)  # the negotiator leaves it alone
    _, url = served(**{"restd.watch.max_seconds": "2"})
    with Stream(f"{url}/v1/watch/jobs/DEFAULT?constraint=RestdWatch%3D%3D%22{tag}%22") as stream:
        snapshot = stream.next()
        later = []
        while (event := stream.next()) is not None:
            later.append(event)
    assert snapshot.data["items"][job]["restdwatch"] == tag
    assert "servertime" not in snapshot.data["items"][job]  # the schedd's clock when asked: no change of the job
    assert all(event.name == "changed" and set(event.data["attrs"]) <= SCHEDD_BOOKKEEPING for event in later)


def test_heartbeats_are_sent_while_nothing_changes(served, tag):
    _, url = served(**{"restd.watch.heartbeat": "0.2", "restd.watch.max_seconds": "1.5"})
    with Stream(url + watch_of(tag)) as stream:
        stream.next()
        assert stream.next() is None  # the stream's end, after its max duration
    assert stream.heartbeats >= 1


def test_the_status_watch_names_slots_by_their_name(served):
    testapp, url = served()
    slots = {ad["name"] for ad in testapp.get("/v1/status?query=startd&projection=State").json}
    with Stream(url + "/v1/watch/status?query=startd&projection=State") as stream:
        snapshot = stream.next()
    assert set(snapshot.data["items"]) == slots
    assert all(set(attrs) <= {"state", "name", "mytype"} for attrs in snapshot.data["items"].values())


# ----------------------------------------------------------------- resume --

def test_a_resumed_client_gets_exactly_the_events_it_missed(served, tag):
    _, url = served()
    with Stream(url + watch_of(tag)) as observer:
        observer.next()
        left_at = left_after_the_snapshot(url + watch_of(tag))
        job = submit(tag)
        missed = observer.until(named("added", job))
        act("Hold", job)
        missed += observer.until(named("changed", job))
        with Stream(url + watch_of(tag), {"Last-Event-ID": left_at}) as resumed:
            replayed = [resumed.next() for _ in missed]
            act("Release", job)
            after = resumed.until(named("changed", job))
            observed_after = observer.until(named("changed", job))
    assert replayed == missed
    assert after == observed_after  # nothing twice, nothing lost


@pytest.mark.parametrize("last_event_id", ["1-0", "not-an-id", "99999999999999-1", ""])
def test_an_event_id_of_another_poller_or_none_gets_a_fresh_snapshot(served, tag, last_event_id):
    job = submit(tag)
    _, url = served()
    with Stream(url + watch_of(tag), {"Last-Event-ID": last_event_id}) as stream:
        first = stream.next()
    assert first.name == "snapshot"
    assert set(first.data["items"]) == {job} and first.data["resumed"] is False


def test_a_client_that_missed_more_than_the_replay_buffer_gets_a_fresh_snapshot(served, tag):
    _, url = served(**{"restd.watch.replay_events": "1"})
    with Stream(url + watch_of(tag)) as observer:
        observer.next()
        left_at = left_after_the_snapshot(url + watch_of(tag))
        job = submit(tag)
        observer.until(named("added", job))
        act("Hold", job)
        observer.until(named("changed", job))
        with Stream(url + watch_of(tag), {"Last-Event-ID": left_at}) as resumed:
            fresh = resumed.next()
    assert fresh.name == "snapshot"
    assert fresh.data == {"items": {job: {"jobstatus": 5, "restdwatch": tag}}, "resumed": False}
    assert fresh.id == observer.last_id


def test_a_stream_ends_cleanly_after_its_max_duration_and_resumes_without_loss(served, tag):
    _, url = served(**{"restd.watch.max_seconds": "1"})
    with Stream(url + watch_of(tag)) as stream:
        stream.next()
        assert stream.next() is None
        left_at = stream.last_id
    job = submit(tag)
    resumed: list[Event] = []
    for _ in range(30):  # each stream lasts a second: reconnect, as EventSource does, until the job's event came
        with Stream(url + watch_of(tag), {"Last-Event-ID": left_at}) as stream:
            while (event := stream.next()) is not None:
                resumed.append(event)
            left_at = stream.last_id or left_at
        if resumed:
            break
    assert resumed and named("added", job)(resumed[0])  # no snapshot again: nothing lost


# ----------------------------------------------------------------- sharing --

def test_fifty_watchers_of_one_query_cost_one_poll_per_interval(served, tag):
    interval = 0.5
    testapp, url = served(threads=60, **{"restd.watch.max_watchers": "55", "restd.watch.interval": str(interval)})
    hub = testapp.app.registry.restd.kept(Hub)
    with ExitStack() as stack:
        streams = [stack.enter_context(Stream(url + watch_of(tag))) for _ in range(50)]
        for stream in streams:
            assert stream.next().name == "snapshot"
        before, started = polls(testapp), time.monotonic()
        job = submit(tag)
        for stream in streams:
            stream.until(named("added", job))
        time.sleep(2 * interval)
        made, elapsed = polls(testapp) - before, time.monotonic() - started
        assert len(hub.pollers) == 1 and hub.watchers == 50
    assert made <= elapsed / interval + 1


def test_watchers_of_queries_that_differ_only_in_spelling_share_a_poller(served, tag):
    testapp, url = served()
    with Stream(url + watch_of(tag, "JobStatus,RestdWatch")) as one, \
            Stream(url + watch_of(tag, "restdwatch,jobstatus,JobStatus")) as other:
        assert one.next().data == other.next().data
        assert len(testapp.app.registry.restd.kept(Hub).pollers) == 1


def test_a_poller_without_watchers_stops_after_its_linger(served, tag):
    testapp, url = served(**{"restd.watch.linger": "0.5"})
    hub = testapp.app.registry.restd.kept(Hub)
    with Stream(url + watch_of(tag)) as stream:
        stream.next()
    assert wait_until(lambda: not hub.pollers, PATIENCE)
    assert hub.watchers == 0


def test_lingering_pollers_are_never_more_than_the_watcher_cap(served, tag):
    testapp, url = served(**{"restd.watch.max_watchers": "2"})
    hub = testapp.app.registry.restd.kept(Hub)
    for projection in ("JobStatus", "Owner", "Cmd", "QDate"):
        with Stream(url + watch_of(tag, projection)) as stream:
            assert stream.next().name == "snapshot"
        assert wait_until(left(hub), PATIENCE)
        assert len(hub.pollers) <= 2


def test_closing_the_app_ends_its_streams_and_leaves_no_poller_thread(served, tag):
    testapp, url = served()
    with Stream(url + watch_of(tag)) as stream:
        stream.next()
        testapp.app.registry.restd.kept(Hub).close()
        while stream.next() is not None:
            pass
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("restd-watch-")]


# ------------------------------------------------------------------ limits --

def test_a_full_server_answers_503_with_its_own_errno_and_retry_after(served, tag):
    testapp, url = served(**{"restd.watch.max_watchers": "2"})
    hub = testapp.app.registry.restd.kept(Hub)
    with Stream(url + watch_of(tag)) as one, Stream(url + watch_of(tag), source=OTHER) as two:
        one.next(), two.next()
        with Stream(url + watch_of(tag), source=THIRD) as third:
            assert third.status == 503
            assert third.headers["Retry-After"].isdigit()
            jsonschema.validate(third.error, ERROR_SCHEMA)
    assert third.error["errno"] == Errno.WATCHERS_FULL != Errno.HTCONDOR_UNAVAILABLE
    assert third.error["details"] == {"limit": 2}
    assert hub.refused["full"] == 1
    assert wait_until(left(hub), PATIENCE)
    with Stream(url + watch_of(tag), source=THIRD) as again:  # their places were given back
        assert again.status == 200


def test_a_stream_tells_eventsource_to_reconnect_after_the_refusals_retry_after(served, tag):
    _, url = served(**{"restd.watch.max_watchers": "1"})
    with Stream(url + watch_of(tag)) as stream:
        stream.next()
        with Stream(url + watch_of(tag), source=OTHER) as refused:
            assert refused.status == 503
    assert stream.retry == int(refused.headers["Retry-After"]) * 1000


def test_a_closed_streams_place_is_given_back_before_any_heartbeat(served, tag):
    testapp, url = served(**NO_HEARTBEAT)
    hub = testapp.app.registry.restd.kept(Hub)
    with Stream(url + watch_of(tag)) as stream:
        stream.next()
        assert hub.watchers == 1
    assert wait_until(left(hub))  # long before a heartbeat (none within 300 s) could show the stream gone


def test_a_client_that_reconnects_at_once_to_a_full_server_gets_its_place_back(served, tag):
    testapp, url = served(**{"restd.watch.max_watchers": "2", **NO_HEARTBEAT})
    with Stream(url + watch_of(tag), source=OTHER) as other:
        other.next()
        left_at = left_after_the_snapshot(url + watch_of(tag))
        job = submit(tag)
        other.until(named("added", job))
        with Stream(url + watch_of(tag), {"Last-Event-ID": left_at}) as resumed:
            assert resumed.status == 200
            assert resumed.next() == Event("added", other.last_id, {"id": job, "attrs": {"jobstatus": 1,
                                                                                          "restdwatch": tag}})
    assert testapp.app.registry.restd.kept(Hub).refused["full"] == 0


def test_connecting_and_closing_again_and_again_locks_nobody_out(served, tag):
    testapp, url = served(**{"restd.watch.max_watchers": "4", **NO_HEARTBEAT})
    for _ in range(12):
        with Stream(url + watch_of(tag), source=OTHER) as stream:
            assert stream.status == 200
            stream.next()
    with Stream(url + watch_of(tag)) as honest:
        assert honest.status == 200
    assert testapp.app.registry.restd.kept(Hub).refused["full"] == 0


def test_one_caller_cannot_take_every_place(served, tag):
    testapp, url = served(**{"restd.watch.max_watchers": "4"})  # no absolute limit per caller: the share's
    with ExitStack() as stack:
        mine = [stack.enter_context(Stream(url + watch_of(tag))) for _ in range(4)]
        assert [stream.status for stream in mine] == [200, 200, 200, 429]
        assert mine[-1].error["errno"] == Errno.TOO_MANY_REQUESTS
        assert mine[-1].headers["Retry-After"].isdigit()
        with Stream(url + watch_of(tag), source=OTHER) as another:
            assert another.status == 200
    assert testapp.app.registry.restd.kept(Hub).refused == {"caller": 1}


@pytest.mark.parametrize("name", ["gunicorn", "uwsgi"])
def test_under_gunicorn_or_uwsgi_a_closed_streams_process_serves_again_before_any_heartbeat(tmp_path, tag, name):
    """Their processes (sync: no threads) serve one stream at a time: the
    next request reaches the process of a closed stream only once that
    stream saw its client go (a peek at the connection's socket)."""
    server = Server(name, tmp_path, settings={**NO_HEARTBEAT, "restd.watch.max_watchers": "1"})
    try:
        with Stream(server.url + watch_of(tag)) as first, Stream(server.url + watch_of(tag)) as second:
            assert (first.status, second.status) == (200, 200)  # one per process
            first.next(), second.next()
            first.close()
            with Stream(server.url + watch_of(tag), {"Last-Event-ID": first.last_id}) as again:
                assert again.status == 200
    finally:
        server.kill()


def test_a_callers_share_is_a_fraction_of_the_places_never_all():
    assert caller_cap(WatchSettings(), 4) == 2  # development.ini
    assert caller_cap(WatchSettings(), 12) == 4  # production.ini: the absolute limit
    assert caller_cap(WatchSettings(max_watchers_per_caller=0), 12) == 6
    assert caller_cap(WatchSettings(caller_share=1.0, max_watchers_per_caller=0), 12) == 11
    assert caller_cap(WatchSettings(caller_share=0.0), 12) == 1
    assert caller_cap(WatchSettings(caller_share=1.0), 2) == 1
    assert caller_cap(WatchSettings(caller_share=1.0), 1) == 1  # one place: someone must be able to watch
    assert caller_cap(WatchSettings(), 0) == 0


def test_beyond_a_callers_watchers_the_answer_is_429(served, tag):
    _, url = served(**{"restd.watch.max_watchers_per_caller": "1"})
    with Stream(url + watch_of(tag)) as one:
        one.next()
        with Stream(url + watch_of(tag)) as second:
            assert second.status == 429
            assert second.error["errno"] == 117


def test_an_ordinary_request_is_answered_while_every_watcher_place_is_taken(served, tag):
    testapp, url = served(threads=6, **{"restd.watch.max_watchers": "4"})
    with ExitStack() as stack:
        streams = [stack.enter_context(Stream(url + watch_of(tag), source=source))
                   for source in ("127.0.0.1", "127.0.0.1", OTHER, OTHER)]
        for stream in streams:
            stream.next()
        assert requests.get(f"{url}/v1/jobs/DEFAULT?limit=1", timeout=PATIENCE).status_code == 200
        assert requests.get(f"{url}{watch_of(tag)}", timeout=PATIENCE).status_code == 503


def test_the_watcher_cap_is_the_inis_waitress_threads_less_the_reserve(tmp_path):
    ini = tmp_path / "server.ini"
    ini.write_text("[server:main]\nuse = egg:waitress#main\nthreads = 16\n")
    assert watcher_cap(WatchSettings(), str(ini)) == 12
    assert watcher_cap(WatchSettings(reserved_threads=10), str(ini)) == 6
    assert watcher_cap(WatchSettings(max_watchers=3), str(ini)) == 3
    ini.write_text("[server:main]\nuse = egg:waitress#main\n")  # waitress's default: 4 threads
    assert watcher_cap(WatchSettings(), str(ini)) == 0
    assert watcher_cap(WatchSettings(), "") == 0


# ------------------------------------------------------------- bad queries --

@pytest.mark.parametrize(("path", "status"), [
    ("/v1/watch/jobs/DEFAULT?constraint=(((", 400),
    ("/v1/watch/jobs/DEFAULT?constraint=eval(%22Owner%22)", 200),  # no hidden attribute: allowed as in listings
    ("/v1/watch/jobs/DEFAULT?projection=Job%20Status", 400),
    ("/v1/watch/jobs/DEFAULT?constraint=%22a%5C%22", 400),  # a string ending in a backslash
    ("/v1/watch/jobs/no-such-schedd", 404),
    ("/v1/watch/jobs/*", 400),  # every schedd: not (yet) watched
    ("/v1/watch/jobs/%2A", 400),
    ("/v1/watch/jobs/DEFAULT%0A", 400),
    ("/v1/watch/status?query=nope", 400),
    ("/v1/watch/status?constraint=%ff", 400),
])
def test_bad_parameters_are_json_errors_as_in_the_listings(served, path, status):
    _, url = served()
    with Stream(url + path) as stream:
        assert stream.status == status
        if status != 200:
            jsonschema.validate(stream.error, ERROR_SCHEMA)


def test_a_head_request_holds_no_stream(served, tag):
    testapp, url = served()
    answer = requests.head(url + watch_of(tag), timeout=PATIENCE)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/event-stream")
    assert testapp.app.registry.restd.kept(Hub).watchers == 0


# ----------------------------------------------------------------- hidden --

HIDE = {"_CONDOR_RESTD_HIDE_JOB_ATTRS": "Environment"}


@pytest.mark.parametrize("projection", ["Environment,JobStatus", ""])
def test_hidden_attributes_never_appear_in_a_watch(served, test_jobs, projection):
    _, url = served(env=HIDE)
    query = f"/v1/watch/jobs/DEFAULT?constraint=ClusterId%3D%3D{test_jobs.held}&projection={projection}"
    with Stream(url + query) as stream:
        snapshot = stream.next()
    assert snapshot.data["items"] and SECRET.encode() not in stream.raw
    assert {attrs["environment"] for attrs in snapshot.data["items"].values()} == {"<REDACTED>"}


@pytest.mark.parametrize("constraint", ["Environment =!= undefined", 'MY.Environment == "x"', 'ad["Environment"]'])
def test_a_constraint_on_a_hidden_attribute_is_400(served, constraint):
    _, url = served(env=HIDE)
    with Stream(f"{url}/v1/watch/jobs/DEFAULT?constraint={quote(constraint)}") as stream:
        assert stream.status == 400


# ------------------------------------------------------------------- auth --

def test_a_watcher_without_credentials_is_401(served, auth2):
    _, url = served(**{"restd.auth": "kbase", "restd.kbase.auth_url": auth2.url})
    with Stream(url + "/v1/watch/status") as stream:
        assert stream.status == 401


def test_a_revoked_kbase_token_ends_the_stream_with_an_error_event(served, auth2, tag):
    _, url = served(**{"restd.auth": "kbase", "restd.kbase.auth_url": auth2.url, "restd.kbase.cache_seconds": "0.5",
                       "restd.watch.recheck_seconds": "0.2"})
    try:
        with Stream(url + watch_of(tag), {"Authorization": "admin-token"}) as stream:
            assert stream.next().name == "snapshot"
            auth2.revoked.add("admin-token")
            last = stream.until(named("error"))[-1]
            assert stream.next() is None
    finally:
        auth2.revoked.discard("admin-token")
    assert last.data["code"] == 401
    jsonschema.validate(last.data, ERROR_SCHEMA)



def test_an_oidc_token_that_expires_ends_the_stream_with_an_error_event(served, issuer, tag):
    _, url = served(**{"restd.auth": "oidc", "restd.oidc.issuers": issuer.url, "restd.oidc.audiences": AUDIENCE,
                       "restd.oidc.leeway": "0", "restd.watch.recheck_seconds": "0.2"})
    with Stream(url + watch_of(tag), {"Authorization": issuer.token(exp=int(time.time()) + 5)}) as stream:
        assert stream.next().name == "snapshot"
        last = stream.until(named("error"))[-1]
        assert stream.next() is None
    assert last.data["code"] == 401
    jsonschema.validate(last.data, ERROR_SCHEMA)

# ------------------------------------------------------------ the document --

def event_schema(document: dict, path: str) -> dict:
    """The schema of one event of the stream at ``path``, as the document
    gives it (with the components its references point into)."""
    content = document["paths"][path]["get"]["responses"]["200"]["content"]
    assert list(content) == ["text/event-stream"]
    return {**content["text/event-stream"]["schema"]["contentSchema"]["items"], "components": document["components"]}


def test_the_openapi_document_describes_each_event_of_a_stream(served):
    testapp, _ = served()
    document = testapp.get("/openapi.json").json
    for path in ("/v1/watch/jobs/{schedd}", "/v1/watch/status"):
        assert {event["properties"]["event"]["const"] for event in event_schema(document, path)["oneOf"]} == {
            "snapshot", "added", "changed", "removed", "error", "recovered"}
    names = {parameter["name"] for parameter in document["paths"]["/v1/watch/status"]["get"]["parameters"]}
    assert names == {"projection", "constraint", "query"}


def test_every_event_of_a_real_stream_fits_the_documented_schema_of_its_name(served, tag):
    testapp, url = served()
    schema = event_schema(testapp.get("/openapi.json").json, "/v1/watch/jobs/{schedd}")
    with Stream(url + watch_of(tag)) as stream:
        seen = [stream.next()]
        job = submit(tag)
        seen += stream.until(named("added", job))
        act("Hold", job)
        seen += stream.until(named("changed", job))
        act("Remove", job)
        seen += stream.until(named("removed", job))
    assert {"snapshot", "added", "changed", "removed"} <= {event.name for event in seen}
    for event in seen:
        parsed = {"event": event.name, "id": event.id, "data": orjson.dumps(event.data).decode()}
        jsonschema.validate(parsed, schema)
        (documented,) = [one for one in schema["oneOf"] if one["properties"]["event"]["const"] == event.name]
        jsonschema.validate(event.data, {**documented["properties"]["data"]["contentSchema"],
                                         "components": schema["components"]})


# ---------------------------------------------------------------- outages --

@pytest.mark.disruptive
def test_a_stream_survives_a_frozen_schedd_with_error_and_recovered_events(served, tag):
    restore_pool()
    _, url = served(**{"restd.gateway.timeout": "2", "restd.gateway.workers": "2"})
    with Stream(url + watch_of(tag)) as stream:
        stream.next()
        with frozen("condor_schedd"):
            error = stream.until(named("error"))[-1]
            with Stream(url + watch_of(tag)) as latecomer:  # the last good answer, then the error now
                late = [latecomer.next(), latecomer.next()]
        after = stream.until(named("recovered"))
        job = submit(tag)
        added = stream.until(named("added", job))
    assert error.data["code"] == 503 and error.data["errno"] == 202
    assert "HTCondor did not answer" in error.data["message"]
    jsonschema.validate(error.data, ERROR_SCHEMA)
    assert [(event.name, event.id) for event in late] == [("snapshot", error.id), ("error", error.id)]
    assert [event.name for event in after] == ["recovered"]  # nothing changed meanwhile: no diff
    assert [event.name for event in added] == ["added"]


@pytest.mark.disruptive
def test_a_stream_survives_a_pool_stop_and_start(served, tag):
    restore_pool()
    _, url = served(**{"restd.gateway.timeout": "3"})
    with Stream(url + watch_of(tag)) as stream:
        stream.next()
        pool_sh("stop")
        try:
            error = stream.until(named("error"))[-1]
        finally:
            restore_pool()
        stream.until(named("recovered"))
        job = submit_when_back(tag)
        added = stream.until(named("added", job))
    assert error.data["code"] == 503 and error.data["errno"] in (201, 202)
    assert [event.name for event in added] == ["added"]


def submit_when_back(tag: str) -> str:
    """``submit``, trying again while the restarted schedd is not yet found by this process."""
    import htcondor2

    for _ in range(PATIENCE):
        try:
            return submit(tag)
        except htcondor2.HTCondorException:
            time.sleep(1)
    return submit(tag)
