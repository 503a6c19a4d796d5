"""/metrics: Prometheus text format, one registry per app."""
from __future__ import annotations

import webtest
from prometheus_client import Counter
from prometheus_client.parser import text_string_to_metric_families

from restd_core.gateway.kinds import DAEMON_TYPES

from .test_limits import FLOODER, QUEUE_OF_TWO, SLOW, fill_the_flooders_queue
from .test_readyz import NO_COLLECTOR


def samples(app) -> dict[tuple[str, frozenset], float]:
    """Every sample /metrics answers, by name and labels."""
    text = app.get("/metrics").text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(app, name: str, **labels: str) -> float:
    return samples(app).get((name, frozenset(labels.items())), 0.0)


def test_metrics_are_in_the_prometheus_text_format(app):
    answer = app.get("/metrics")
    assert answer.headers["Content-Type"].startswith("text/plain; version=")
    assert "# TYPE restd_http_requests_total counter" in answer.text


def test_requests_are_counted_by_route_and_status(app_with):
    app = app_with()
    app.get("/healthz")
    app.get("/v1/jobs/no-such-schedd", status=404)
    assert value(app, "restd_http_requests_total", method="GET", route="/healthz", status="200") == 1
    assert value(app, "restd_http_requests_total", method="GET", route="/v1/jobs/{schedd}", status="404") == 1


def test_unmatched_urls_share_one_route_label(app_with):
    app = app_with()
    app.get("/a", status=404)
    app.get("/b", status=404)
    assert value(app, "restd_http_requests_total", method="GET", route="(unmatched)", status="404") == 2


def test_request_durations_are_a_histogram_by_route(app_with):
    app = app_with()
    app.get("/healthz")
    assert value(app, "restd_http_request_duration_seconds_count", method="GET", route="/healthz") == 1
    assert value(app, "restd_http_request_duration_seconds_bucket", method="GET", route="/healthz", le="+Inf") == 1


#: A listing as one HTCondor call (uncached, it may be split between workers).
ONE_CALL = {"restd.gateway.listing_parts": "1"}


def test_htcondor_calls_are_timed_by_operation_and_daemon(app_with):
    app = app_with(**ONE_CALL)
    app.get("/v1/jobs/DEFAULT?limit=1")
    assert value(app, "restd_htcondor_call_duration_seconds_count", operation="query_jobs", daemon="schedd") == 1


def test_htcondor_failures_are_counted_by_the_daemon_that_failed(app_with):
    app = app_with(env=NO_COLLECTOR, **ONE_CALL)
    app.get("/v1/jobs/DEFAULT", status=503)
    assert value(app, "restd_htcondor_call_failures_total",
                 operation="query_jobs", daemon="collector", kind="unavailable") == 1


def test_a_missing_schedd_is_an_answer_not_a_failure(app_with):
    app = app_with()
    app.get("/v1/jobs/no-such-schedd", status=404)
    assert not [key for key in samples(app) if key[0] == "restd_htcondor_call_failures_total"]


def test_worker_replacements_are_counted(app):
    assert ("restd_gateway_worker_replacements_total", frozenset()) in samples(app)


def test_each_app_counts_its_own_requests(app_with):
    first, second = app_with(), app_with()
    first.get("/healthz")
    assert value(second, "restd_http_requests_total", method="GET", route="/healthz", status="200") == 0


def test_other_parts_of_the_server_can_add_metrics(app_with):
    app = app_with()
    hits = Counter("restd_cache_hits", "cache hits", registry=app.app.registry.restd.metrics.registry)
    hits.inc(3)
    assert value(app, "restd_cache_hits_total") == 3


def test_metrics_can_be_turned_off(app_with):
    app = app_with(**{"restd.metrics": "false"})
    app.get("/metrics", status=404)


def series(app) -> set[tuple[str, frozenset]]:
    return set(samples(app))


def test_invented_methods_paths_and_statuses_do_not_grow_the_metrics(app_with):
    app = webtest.TestApp(app_with().app, lint=False)  # WebTest's lint refuses invented methods

    def invent(number: int) -> None:
        app.request(f"/no/such/url/{number}", method="X" * 20_000 + str(number), status="*")
        app.get(f"/v1/jobs/DEFAULT/{number}x/{number}", status="*")
        app.get(f"/invented/{number}", status=404)

    invent(0)  # the first ones make the "other" and "(unmatched)" series
    series(app)  # a scrape is counted once answered: the next one shows its series
    before = series(app)
    for number in range(1, 4):
        invent(number)
    assert series(app) == before
    assert value(app, "restd_http_requests_total", method="other", route="(unmatched)", status="404") == 4


def test_a_callers_throttling_is_counted_apart_from_htcondors_failures(app_with):
    app = app_with(**QUEUE_OF_TWO)
    sent = fill_the_flooders_queue(app)
    app.get(SLOW, extra_environ=FLOODER, status=429)
    sent.join()
    assert value(app, "restd_gateway_refused_calls_total", operation="read_config", reason="throttled") == 1
    assert not [key for key in samples(app) if key[0] == "restd_htcondor_call_failures_total"]


def test_the_daemon_label_names_only_daemons(app_with):
    app = app_with()
    app.get("/v1/config/condor_version")
    daemons = {dict(labels).get("daemon") for name, labels in samples(app)
               if name == "restd_htcondor_call_duration_seconds_count"}
    assert "config" not in daemons and "none" in daemons
    assert daemons <= {*DAEMON_TYPES, "none"}


def test_counters_have_no_created_series(app):
    assert not [name for name, _ in samples(app) if name.endswith("_created")]


def test_the_process_and_its_garbage_collector_are_measured(app):
    names = {name for name, _ in samples(app)}
    assert {"process_resident_memory_bytes", "process_cpu_seconds_total", "process_start_time_seconds",
            "python_gc_collections_total"} <= names
