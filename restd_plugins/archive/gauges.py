"""The archive's ``/metrics``: how it is (``ArchiveHistory.status``, reused
for a moment), what this process archived, and its rounds' failures; no
label takes a value from the pool."""
from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from .history import ArchiveHistory


class ArchiveGauges:
    """The prometheus-client collector of the archive's metrics."""

    def __init__(self, archive: ArchiveHistory) -> None:
        self._archive = archive

    def describe(self) -> list:
        return []  # collect reads the database

    def collect(self) -> Iterator[Metric]:
        status = self._archive.status()
        yield GaugeMetricFamily("restd_archive_up", "Whether the archive's database answered", value=int(status["up"]))
        yield GaugeMetricFamily("restd_archive_ingesting", "Whether this process holds the archive's ingest lock",
                                value=int(status["ingesting"]))
        if status["jobs"] is not None:
            yield GaugeMetricFamily("restd_archive_jobs", "Jobs in the archive", value=status["jobs"])
            yield GaugeMetricFamily("restd_archive_schedds", "Schedds the archive has read", value=status["schedds"])
        if status["lag_seconds"] is not None:
            yield GaugeMetricFamily("restd_archive_lag_seconds", "Seconds since the history of the schedd read "
                                    "longest ago was last read to its end", value=status["lag_seconds"])
        ingester = self._archive.ingester
        yield CounterMetricFamily("restd_archive_archived", "Jobs this process wrote to the archive",
                                  value=ingester.archived)
        errors = CounterMetricFamily("restd_archive_errors", "Ingest rounds stopped, by where: a schedd (or the "
                                     "collector) or the database", labels=["where"])
        for where in ("schedd", "database"):
            errors.add_metric([where], ingester.errors[where])
        yield errors
