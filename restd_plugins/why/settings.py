"""The why plugin's ini settings (``restd_core.assembly.settings``' way): the daemon
health thresholds a site may set. A value at or above a warning threshold
is a ``warning``, at or above a critical one ``critical``."""
from __future__ import annotations

from dataclasses import dataclass

from restd_core.plugin_api.web import setting


@dataclass(frozen=True)
class WhySettings:
    duty_cycle_warning: float = setting(
        "restd.why.health.duty_cycle.warning", 0.95, "a daemon's RecentDaemonCoreDutyCycle at which it is a warning",
        minimum=0)
    duty_cycle_critical: float = setting(
        "restd.why.health.duty_cycle.critical", 0.98, "a daemon's RecentDaemonCoreDutyCycle at which it is critical "
        "(HTCondor's guidance: above 0.98 a daemon is overloaded)", minimum=0)
    running_warning: float = setting(
        "restd.why.health.running.warning", 0.9, "a schedd's running jobs, as a fraction of its MaxJobsRunning, at "
        "which it is a warning", minimum=0)
    running_critical: float = setting(
        "restd.why.health.running.critical", 1.0, "a schedd's running jobs, as a fraction of its MaxJobsRunning, at "
        "which it is critical (it starts no more)", minimum=0)
    transfer_waiting_warning: float = setting(
        "restd.why.health.transfer_waiting.warning", 10, "a schedd's file transfers waiting in its transfer queue "
        "(uploads and downloads) at which it is a warning", minimum=0)
    transfer_waiting_critical: float = setting(
        "restd.why.health.transfer_waiting.critical", 100, "a schedd's file transfers waiting in its transfer queue "
        "at which it is critical", minimum=0)
    cycle_warning: float = setting(
        "restd.why.health.negotiation_cycle.warning", 0.5, "the negotiator's last cycle's duration, as a fraction of "
        "NEGOTIATOR_INTERVAL, at which it is a warning", minimum=0)
    cycle_critical: float = setting(
        "restd.why.health.negotiation_cycle.critical", 1.0, "the negotiator's last cycle's duration, as a fraction "
        "of NEGOTIATOR_INTERVAL, at which it is critical (cycles run back to back)", minimum=0)
    cycle_age_warning: float = setting(
        "restd.why.health.negotiation_age.warning", 3.0, "the age of the negotiator's last cycle's end, in "
        "NEGOTIATOR_INTERVALs, at which it is a warning", minimum=0)
    cycle_age_critical: float = setting(
        "restd.why.health.negotiation_age.critical", 10.0, "the age of the negotiator's last cycle's end, in "
        "NEGOTIATOR_INTERVALs, at which it is critical (it negotiates no more)", minimum=0)
    dropped_queries_warning: float = setting(
        "restd.why.health.dropped_queries.warning", 1, "a collector's RecentDroppedQueries at which it is a warning",
        minimum=0)
    dropped_queries_critical: float = setting(
        "restd.why.health.dropped_queries.critical", 100, "a collector's RecentDroppedQueries at which it is critical",
        minimum=0)
    pending_queries_warning: float = setting(
        "restd.why.health.pending_queries.warning", 10, "a collector's PendingQueries at which it is a warning",
        minimum=0)
    pending_queries_critical: float = setting(
        "restd.why.health.pending_queries.critical", 100, "a collector's PendingQueries at which it is critical",
        minimum=0)
    updates_lost_warning: float = setting(
        "restd.why.health.updates_lost.warning", 1, "a collector's RecentUpdatesLost at which it is a warning",
        minimum=0)
    updates_lost_critical: float = setting(
        "restd.why.health.updates_lost.critical", 100, "a collector's RecentUpdatesLost at which it is critical",
        minimum=0)
    ad_age_warning: float = setting(
        "restd.why.health.ad_age.warning", 600, "seconds since the collector last heard from a daemon at which it is "
        "a warning (twice the default UPDATE_INTERVAL)", minimum=0)
    ad_age_critical: float = setting(
        "restd.why.health.ad_age.critical", 900, "seconds since the collector last heard from a daemon at which it "
        "is critical (the default CLASSAD_LIFETIME: its ad is about to go)", minimum=0)
