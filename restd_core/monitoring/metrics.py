"""Prometheus metrics: ``GET /metrics`` in the text exposition format.

Each app has a ``CollectorRegistry`` of its own (``wiring(registry).metrics.registry``),
never prometheus-client's global one, so that several apps in one process
(the test suite) count apart. Other parts of the server add their metrics
to it::

    Counter("restd_cache_hits", "...", registry=wiring(config.registry).metrics.registry)

``restd.metrics = false`` turns the endpoint and the instrumentation off;
the registry is there all the same, so that code adding metrics need not ask.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from http import HTTPStatus

from cornice import Service
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from pyramid.request import Request
from pyramid.response import Response

from restd_core.assembly.wiring import wiring
from restd_core.gateway import ClientGone, Gateway, GatewayError, Throttled, Unavailable
from restd_core.gateway.kinds import DAEMON_TYPES

#: Seconds; up to past the longest gateway timeout one would configure.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)
UNMATCHED_ROUTE = "(unmatched)"
#: The ``daemon`` label of a call that asks no daemon (reading the configuration).
NO_DAEMON = "none"

# A counter's ``_created`` sample is a timestamp that the text format shows as
# a gauge of its own (``restd_..._created``); Prometheus has no use for it.
disable_created_metrics()

metrics = Service(name="metrics", path="/metrics", description="Prometheus metrics of this server process")


class Metrics:
    """The metrics of one app."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # This process's CPU, memory, open files and start time, and Python's
        # garbage collector: what every Prometheus client library exports.
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)
        self.requests = Counter(
            "restd_http_requests", "HTTP requests answered, by route and status",
            ["method", "route", "status"], registry=self.registry,
        )
        self.request_seconds = Histogram(
            "restd_http_request_duration_seconds", "Time to answer an HTTP request, by route",
            ["method", "route"], buckets=BUCKETS, registry=self.registry,
        )
        self.requests_in_progress = Gauge(
            "restd_http_requests_in_progress", "HTTP requests being answered now", registry=self.registry
        )
        self.call_seconds = Histogram(
            "restd_htcondor_call_duration_seconds", "Time an HTCondor call took (worker process included)",
            ["operation", "daemon"], buckets=BUCKETS, registry=self.registry,
        )
        self.call_failures = Counter(
            "restd_htcondor_call_failures",
            "HTCondor calls that failed (daemon down, timeout, no free worker in time, internal error)",
            ["operation", "daemon", "kind"], registry=self.registry,
        )
        self.refused_calls = Counter(
            "restd_gateway_refused_calls",
            "HTCondor calls not made or not answered because of their caller (its queue full, its client gone)",
            ["operation", "reason"], registry=self.registry,
        )

    def observe_call(self, op: str, daemon: str, seconds: float, error: GatewayError | None) -> None:
        """A ``Gateway`` call observer. Not found and bad queries are answers,
        not failures; a caller's throttling and a client gone are the
        caller's doing, not HTCondor's (``refused_calls``); the daemon that
        failed is the error's when it names one."""
        self.call_seconds.labels(op, daemon_label(daemon)).observe(seconds)
        if isinstance(error, (Throttled, ClientGone)):
            self.refused_calls.labels(op, error.kind).inc()
        elif error is not None and (isinstance(error, Unavailable) or error.status >= 500):
            failed = error.details.get("daemon")
            self.call_failures.labels(op, daemon_label(failed if failed in self.daemons else daemon), error.kind).inc()

    def watch_gateway(self, gateway: Gateway) -> None:
        #: The daemons a failed call may name (its details come from the worker).
        self.daemons = gateway.operations.daemons
        gateway.observers.append(self.observe_call)
        self.registry.register(_WorkerReplacements(gateway))


class _WorkerReplacements:
    """Reads the gateway's counts when scraped (the gateway knows nothing of Prometheus)."""

    def __init__(self, gateway: Gateway) -> None:
        self._gateway = gateway

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "restd_gateway_worker_replacements",
            "HTCondor worker processes killed and replaced (a call past its timeout or its memory cap, or a worker that died)",
            value=self._gateway.worker_replacements,
        )
        yield GaugeMetricFamily(
            "restd_gateway_queued_calls", "HTCondor calls waiting for a gateway worker now",
            value=self._gateway.queued_calls,
        )


def daemon_label(daemon: str) -> str:
    """A daemon type, or ``NO_DAEMON`` for an operation that asks none
    (an operation's ``daemon`` also names what it reads, e.g. ``config``)."""
    return daemon if daemon in DAEMON_TYPES else NO_DAEMON


#: Label values come from closed sets: a caller invents methods and paths
#: at will, and every new label value is a new time series for good.
KNOWN_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})
OTHER = "other"
_STATUSES = frozenset(str(int(status)) for status in HTTPStatus)


def route_of(request: Request) -> str:
    """The matched route's pattern: bounded label values, unlike paths."""
    route = getattr(request, "matched_route", None)
    return route.pattern if route is not None else UNMATCHED_ROUTE


def method_of(request: Request) -> str:
    return request.method if request.method in KNOWN_METHODS else OTHER


def status_label(status: int) -> str:
    label = str(status)
    return label if label in _STATUSES else OTHER


def metrics_tween_factory(handler: Callable[[Request], Response], registry) -> Callable[[Request], Response]:
    recorded: Metrics = wiring(registry).metrics

    def tween(request: Request) -> Response:
        started = time.perf_counter()
        status = 500  # unless a response comes back
        try:
            with recorded.requests_in_progress.track_inprogress():
                response = handler(request)
            status = response.status_int
            return response
        finally:
            route, method = route_of(request), method_of(request)
            recorded.requests.labels(method, route, status_label(status)).inc()
            recorded.request_seconds.labels(method, route).observe(time.perf_counter() - started)

    return tween


@metrics.get(permission="read", response_schemas={200: {"type": "string", "description": "Prometheus text format"}},
             response_media_type=CONTENT_TYPE_LATEST)
def get_metrics(request: Request) -> Response:
    return Response(body=generate_latest(wiring(request.registry).metrics.registry), content_type=CONTENT_TYPE_LATEST,
                    charset=None)


def includeme(config) -> None:
    restd = wiring(config.registry)
    restd.metrics = Metrics()
    if not restd.settings.metrics:
        return
    restd.metrics.watch_gateway(restd.gateway)
    config.add_tween("restd_core.monitoring.metrics.metrics_tween_factory", under="restd_core.pipeline.tweens.request_log_tween_factory")
    config.add_cornice_service(metrics)
