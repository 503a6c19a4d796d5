"""The jobs plugin's includeme: its services (every path written out once)
and its operations."""
from __future__ import annotations

from cornice import Service

from restd_core.plugin_api.web import read_service

from . import responses, views
from .schemas import HistoryListQuery, JobQuery, NoQuery, QueueListQuery, request_schema


def services() -> list[Service]:
    return [
        read_service("jobs", "/v1/jobs/{schedd}", "Jobs in the schedd's queue (the schedd *: every schedd's)",
                     views.list_jobs("jobs"), request_schema(QueueListQuery, every_schedd=True), responses.LISTING),
        read_service("jobs_cluster", "/v1/jobs/{schedd}/{clusterid}", "Jobs of one cluster in the schedd's queue",
                     views.list_jobs("jobs"), request_schema(QueueListQuery, "clusterid"), responses.JOBS),
        read_service("jobs_job", "/v1/jobs/{schedd}/{clusterid}/{procid}", "One job in the schedd's queue",
                     views.one_job("jobs"), request_schema(JobQuery, "clusterid", "procid"), responses.JOB),
        read_service("jobs_attribute", "/v1/jobs/{schedd}/{clusterid}/{procid}/{attribute}",
                     "One attribute of one job in the schedd's queue", views.job_attribute("jobs"),
                     request_schema(NoQuery, "clusterid", "procid", "attribute"), responses.ATTRIBUTE_VALUE),
        read_service("grouped_jobs", "/v1/grouped_jobs/{schedd}/{groupby}",
                     "Jobs in the schedd's queue, grouped by an attribute", views.grouped_jobs("jobs"),
                     request_schema(QueueListQuery, "groupby"), responses.GROUPED_JOBS),
        read_service("grouped_jobs_cluster", "/v1/grouped_jobs/{schedd}/{groupby}/{clusterid}",
                     "Jobs of one cluster in the schedd's queue, grouped by an attribute", views.grouped_jobs("jobs"),
                     request_schema(QueueListQuery, "groupby", "clusterid"), responses.GROUPED_JOBS),
        read_service("history", "/v1/history/{schedd}", "Jobs in the schedd's history (the schedd *: every schedd's)",
                     views.list_jobs("history"), request_schema(HistoryListQuery, every_schedd=True), responses.LISTING),
        read_service("history_cluster", "/v1/history/{schedd}/{clusterid}", "Jobs of one cluster in the schedd's history",
                     views.list_jobs("history"), request_schema(HistoryListQuery, "clusterid"), responses.JOBS),
        read_service("history_job", "/v1/history/{schedd}/{clusterid}/{procid}", "One job in the schedd's history",
                     views.one_job("history"), request_schema(JobQuery, "clusterid", "procid"), responses.JOB),
        read_service("history_attribute", "/v1/history/{schedd}/{clusterid}/{procid}/{attribute}",
                     "One attribute of one job in the schedd's history", views.job_attribute("history"),
                     request_schema(NoQuery, "clusterid", "procid", "attribute"), responses.ATTRIBUTE_VALUE),
        read_service("grouped_history", "/v1/grouped_history/{schedd}/{groupby}",
                     "Jobs in the schedd's history, grouped by an attribute", views.grouped_jobs("history"),
                     request_schema(HistoryListQuery, "groupby"), responses.GROUPED_JOBS),
        read_service("grouped_history_cluster", "/v1/grouped_history/{schedd}/{groupby}/{clusterid}",
                     "Jobs of one cluster in the schedd's history, grouped by an attribute",
                     views.grouped_jobs("history"), request_schema(HistoryListQuery, "groupby", "clusterid"),
                     responses.GROUPED_JOBS),
    ]


def includeme(config) -> None:
    for service in services():
        config.add_cornice_service(service)
    config.add_gateway_operation("query_jobs", "restd_core.gateway.worker.jobs:query_jobs", daemon="schedd")
    config.add_gateway_operation("query_job", "restd_core.gateway.worker.jobs:query_job", daemon="schedd",
                                 short=True)
