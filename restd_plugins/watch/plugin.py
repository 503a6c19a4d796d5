"""The watch plugin's includeme: its services and the hub of pollers.

It polls through the jobs and status plugins' operations (``query_jobs``,
``query_status``): enable them too.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator

from cornice import Service
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from restd_core.plugin_api.web import stream_service, wiring
from restd_plugins.status.schemas import request_schema as status_request_schema

from . import responses, views
from .hub import Hub
from .query import Items, Query
from .schemas import jobs_request_schema
from .settings import read, watcher_cap

log = logging.getLogger(__name__)


def services() -> list[Service]:
    return [
        stream_service("watch_jobs", "/v1/watch/jobs/{schedd}",
                       "Changes of the schedd's queue (a query of it) as Server-Sent Events",
                       views.watch_jobs, jobs_request_schema(), responses.EVENTS),
        stream_service("watch_status", "/v1/watch/status",
                       "Changes of the pool's machine and daemon ads (a query of them) as Server-Sent Events",
                       views.watch_status, status_request_schema(), responses.EVENTS),
    ]


class _WatchGauges:
    """Watchers and pollers now, and the watchers refused, read when scraped."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("restd_watch_watchers", "Streams open on the watch endpoints", value=self._hub.watchers)
        yield GaugeMetricFamily("restd_watch_pollers", "Distinct watched queries being polled",
                                value=len(self._hub.pollers))
        refused = CounterMetricFamily("restd_watch_refused", "Watchers refused for want of a place: every place "
                                      "taken (full) or the caller's share (caller)", labels=["reason"])
        for reason in ("full", "caller"):
            refused.add_metric([reason], self._hub.refused[reason])
        yield refused


def includeme(config) -> None:
    # It polls the listings of the jobs and status plugins (query.py).
    config.require_gateway_operations("query_jobs", "query_status")
    restd = wiring(config.registry)
    settings = read(config.get_settings())
    server = restd.settings

    def fetch(query: Query) -> Items:
        return query.fetch(restd.gateway, restd.condor_settings.get())

    cap = watcher_cap(settings, server.ini_file)
    # Polls of all queries at once leave a gateway worker to ordinary requests.
    hub = restd.keep(Hub(fetch, settings, cap, poll_slots=max(server.gateway_workers - 1, 1)))
    log.info("watch: at most %d watchers at once (restd.watch.max_watchers), %d of one caller", cap,
             hub.max_per_caller)
    for service in services():
        config.add_cornice_service(service)
    restd.metrics.registry.register(_WatchGauges(hub))
