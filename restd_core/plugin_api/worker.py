"""The plugin toolkit's worker half (``restd_core.plugin_api``): what a
plugin's operations use, in the gateway's worker processes.

Every daemon is asked through ``ask``; job and machine ads through
``query_jobs``, ``query_job``, ``job_classads`` and ``status_objects``
(and, as ClassAds to evaluate, never to answer with: ``autocluster_ads``,
``job_ad``, ``slot_classads``, hidden attributes redacted in them), which take the caller's constraint and projection as they came and answer
only what the one output filter lets through: hidden job attributes
(RESTD_HIDE_JOB_ATTRS, read here from HTCondor's config) ``"<REDACTED>"``
whatever the case of their names, a constraint that could read one (or
whose cost no daemon should bear) judged here on redacted ads, only the
projection's attributes. An operation that imports ``htcondor2`` and
reads ads itself gives all of that up; one that asks a daemon for
something else (grouped counts, a config knob) keeps the guarantee with
``judged`` (a caller's constraint split into what the daemon may evaluate
and what is judged here), ``filtered`` / ``ads_to_dicts`` (the output
filter), ``hidden_job_attrs`` and ``is_hidden_knob``.
"""
from __future__ import annotations

from restd_core.gateway.errors import BadQuery, NotFound, Unavailable
from restd_core.gateway.kinds import DAEMON_TYPES
from restd_core.gateway.wire import JsonBody, Streamed
from restd_core.gateway.worker.ads import slot_classads, status_objects
from restd_core.gateway.worker.classads import ads_to_dicts, filtered
from restd_core.gateway.worker.clauses import clauses
from restd_core.gateway.worker.condor import DEFAULT_SCHEDD, ask, hidden_config_params, hidden_job_attrs, schedd_ad
from restd_core.gateway.worker.expressions import Comparison, Judged, conjunction, judged, matches_name
from restd_core.gateway.worker.jobs import autocluster_ads, job_ad, job_classads, query_job, query_jobs
from restd_core.gateway.worker.shaping import REDACTED, group_by_attribute, is_hidden_knob
from restd_core.plugin_api import VERSION

__all__ = [
    "VERSION", "ask", "DEFAULT_SCHEDD", "DAEMON_TYPES", "schedd_ad",
    # ads through the output filter
    "query_jobs", "query_job", "job_classads", "status_objects", "group_by_attribute",
    # ClassAds to evaluate (matchmaking), hidden attributes redacted: never to answer with
    "autocluster_ads", "job_ad", "slot_classads",
    # keeping the guarantee in an operation of one's own
    "judged", "Judged", "conjunction", "filtered", "ads_to_dicts", "hidden_job_attrs", "hidden_config_params",
    "is_hidden_knob", "REDACTED", "matches_name",
    # a constraint's structure: its top-level clauses, the comparisons among them (``Constraint.comparisons``)
    "clauses", "Comparison",
    # answers and errors
    "JsonBody", "Streamed", "BadQuery", "NotFound", "Unavailable",
]
