"""The plugin toolkit's worker half (``restd_core.plugin_api``): what a
plugin's operations use, in the gateway's worker processes.

Every daemon is asked through ``ask``; job and machine ads through
``query_jobs``, ``query_job``, ``job_classads`` and ``status_objects``
(and, as ClassAds to evaluate, never to answer with: ``autocluster_ads``,
``job_ad``, ``slot_classads``),
which take the caller's constraint and projection as they came and answer
only what the one output filter lets through: hidden job attributes
(RESTD_HIDE_JOB_ATTRS, read here from HTCondor's config) ``"<REDACTED>"``
whatever the case of their names, a constraint that could read one (or
whose cost no daemon should bear) judged here on redacted ads, only the
projection's attributes. An operation that imports ``htcondor2`` and
reads ads itself gives all of that up.
"""
from __future__ import annotations

from ..gateway.errors import BadQuery, NotFound, Unavailable
from ..gateway.wire import JsonBody, Streamed
from ..gateway.worker.ads import slot_classads, status_objects
from ..gateway.worker.condor import DEFAULT_SCHEDD, ask
from ..gateway.worker.expressions import matches_name
from ..gateway.worker.jobs import autocluster_ads, job_ad, job_classads, query_job, query_jobs
from . import VERSION

__all__ = [
    "VERSION", "ask", "DEFAULT_SCHEDD", "query_jobs", "query_job", "job_classads", "status_objects",
    "autocluster_ads", "job_ad", "slot_classads", "matches_name", "JsonBody", "Streamed", "BadQuery", "NotFound",
    "Unavailable",
]
