"""Daemon health gauges in /metrics (restd_plugins.why.gauges): the numbers
and verdicts /v1/why/health answers, from the real pool; daemon names from
the collector, capped; a collector that does not answer leaves only
restd_pool_health_up 0."""
from __future__ import annotations

from restd_plugins.why.verdicts import VERDICTS

from .pool import advertised
from .test_summary_gauges import GAUGES, samples

#: Schedd ads anyone the collector lets advertise a schedd can send: more
#: than the cap of the test below, one of them overloaded.
INVENTED_SCHEDDS = {f"invented{number}@flood": 'MyAddress = "<127.0.0.1:1>"\nRecentDaemonCoreDutyCycle = '
                    f'{0.99 if number == 7 else 0.01}\nMaxJobsRunning = 100\nTotalRunningJobs = 0'
                    for number in range(12)}


def by_name(app, metric: str, **labels: str) -> dict[str, float]:
    """The samples of ``metric`` with these labels, by their ``name`` label."""
    return {dict(key)["name"]: value for key, value in samples(app, metric).items()
            if labels.items() <= dict(key).items()}


def test_each_daemons_verdict_is_its_health_verdict_as_a_number(app_with):
    app = app_with(**GAUGES)
    health = app.get("/v1/why/health").json
    for kind, daemon in (("schedds", "schedd"), ("negotiators", "negotiator"), ("collectors", "collector")):
        assert by_name(app, "restd_pool_daemon_verdict", daemon=daemon) == {
            each["name"]: VERDICTS.index(each["verdict"]) for each in health[kind]}
    assert samples(app, "restd_pool_health_verdict") == {frozenset(): VERDICTS.index(health["verdict"])}


def test_each_check_has_a_verdict_gauge(app_with):
    app = app_with(**GAUGES)
    health = app.get("/v1/why/health").json
    checks = {(dict(key)["name"], dict(key)["check"]): value
              for key, value in samples(app, "restd_pool_daemon_check_verdict").items() if ("daemon", "schedd") in key}
    assert checks == {(schedd["name"], name): VERDICTS.index(check["verdict"])
                      for schedd in health["schedds"] for name, check in schedd["checks"].items()}


def test_the_schedds_numbers_are_their_ads(app_with, test_jobs):
    import htcondor2

    app = app_with(**GAUGES)
    ads = {ad["Name"]: ad for ad in htcondor2.Collector().query(htcondor2.AdTypes.Schedd, projection=[
        "Name", "MaxJobsRunning", "TotalRunningJobs"])}
    assert {dict(key)["schedd"]: value for key, value in samples(app, "restd_pool_schedd_max_jobs_running").items()} \
        == {name: ad["MaxJobsRunning"] for name, ad in ads.items()}
    assert set(by_name(app, "restd_pool_daemon_duty_cycle_ratio", daemon="schedd")) == set(ads)
    assert all(0 <= value <= 1 for value in by_name(app, "restd_pool_daemon_duty_cycle_ratio").values())


def test_every_verdict_of_every_daemon_type_is_counted_zeros_included(app_with):
    app = app_with(**GAUGES)
    counted = {(dict(key)["daemon"], dict(key)["verdict"]): value for key, value in
               samples(app, "restd_pool_daemons").items()}
    assert set(counted) == {(daemon, verdict) for daemon in ("schedd", "negotiator", "collector")
                            for verdict in VERDICTS}
    assert sum(value for (daemon, _), value in counted.items() if daemon == "negotiator") == 1


def test_invented_schedds_label_at_most_the_cap_the_worst_first_and_all_are_counted(app_with):
    with advertised("schedd", INVENTED_SCHEDDS):
        app = app_with(**GAUGES, **{"restd.summary.gauges.max_label_values": "3"})
        labelled = by_name(app, "restd_pool_daemon_verdict", daemon="schedd")
        counted = {dict(key)["verdict"]: value for key, value in samples(app, "restd_pool_daemons").items()
                   if ("daemon", "schedd") in key}
    assert len(labelled) == 3
    assert labelled["invented7@flood"] == VERDICTS.index("critical")
    assert sum(counted.values()) >= len(INVENTED_SCHEDDS) + 2  # the pool's own two schedds too
    assert counted["critical"] >= 1
    assert len({dict(key)["schedd"] for key in samples(app, "restd_pool_schedd_running_jobs")}) == 3


def test_no_collector_leaves_only_health_up_zero(app_with):
    app = app_with(env={"_CONDOR_COLLECTOR_HOST": "127.0.0.1:1"},
                   **GAUGES, **{"restd.summary.gauges.timeout": "2", "restd.gateway.timeout": "3"})
    assert samples(app, "restd_pool_health_up") == {frozenset(): 0}
    assert samples(app, "restd_pool_daemon_verdict") == samples(app, "restd_pool_health_verdict") == {}


def test_no_health_gauges_when_the_pool_gauges_are_off(app_with):
    app = app_with(**{"restd.summary.gauges.ttl": "0"})
    assert samples(app, "restd_pool_health_up") == {}
