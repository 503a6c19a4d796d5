"""GET /v1/why/health: the daemons' numbers and verdicts from the real
pool, turned by the site's thresholds, by a frozen negotiator and by a
schedd that curbs matchmaking, and back (in /metrics' gauges too)."""
from __future__ import annotations

import pytest

from restd_plugins.why.verdicts import CHECKS, VERDICTS

from .pool import frozen, pool_sh, reconfigured
from .test_summary_gauges import samples
from .waiting import eventually

#: Pool gauges taken again at most a second after the last time.
FRESH_GAUGES = {"restd.summary.gauges.ttl": "1"}


def names_in_pool(kind: str) -> list[str]:
    """condor_status's names of the pool's daemons of ``kind`` (-schedd...)."""
    return sorted(pool_sh("exec", "condor_status", f"-{kind}", "-af", "Name").stdout.split())


def test_every_daemon_of_the_pool_is_judged(app):
    answer = app.get("/v1/why/health").json
    assert [daemon["name"] for daemon in answer["schedds"]] == names_in_pool("schedd")
    assert [daemon["name"] for daemon in answer["negotiators"]] == names_in_pool("negotiator")
    assert len(answer["collectors"]) == 1
    for kind, checks in CHECKS.items():
        assert all(list(daemon["checks"]) == list(checks) for daemon in answer[kind])
    assert answer["verdict"] in VERDICTS


def test_a_healthy_pool_is_ok_by_the_default_thresholds(app):
    answer = app.get("/v1/why/health").json
    assert {daemon["checks"]["duty_cycle"]["verdict"] for kind in CHECKS for daemon in answer[kind]} == {"ok"}
    assert {daemon["checks"]["running"]["verdict"] for daemon in answer["schedds"]} == {"ok"}


def test_a_lowered_duty_cycle_threshold_turns_the_verdicts_critical(app_with):
    lowered = app_with(**{"restd.why.health.duty_cycle.warning": "0", "restd.why.health.duty_cycle.critical": "0"})
    answer = lowered.get("/v1/why/health").json
    assert answer["verdict"] == "critical"
    assert {daemon["checks"]["duty_cycle"]["verdict"] for daemon in answer["schedds"]} == {"critical"}


def test_a_threshold_between_warning_and_critical_is_a_warning(app_with):
    lowered = app_with(**{"restd.why.health.duty_cycle.warning": "0", "restd.why.health.duty_cycle.critical": "2"})
    answer = lowered.get("/v1/why/health").json
    assert {daemon["checks"]["duty_cycle"]["verdict"] for daemon in answer["schedds"]} == {"warning"}


def test_a_collectors_ad_age_is_not_judged_whatever_the_threshold(app_with):
    # its own ad is refreshed every COLLECTOR_UPDATE_INTERVAL (15 min by default): a false alarm otherwise
    lowered = app_with(**{"restd.why.health.ad_age.warning": "0", "restd.why.health.ad_age.critical": "0"})
    answer = lowered.get("/v1/why/health").json
    assert {daemon["checks"]["ad_age"]["verdict"] for daemon in answer["schedds"]} == {"critical"}
    assert [daemon["verdict"] for daemon in answer["collectors"]] == ["ok"]
    assert all("ad_age" not in daemon["checks"] for daemon in answer["collectors"])


def negotiator(app) -> tuple[str, float | None]:
    """The negotiator's verdict, in /v1/why/health and as its gauge (None while it has none)."""
    (judged,) = app.get("/v1/why/health").json["negotiators"]
    gauges = samples(app, "restd_pool_daemon_verdict")
    return judged["verdict"], gauges.get(frozenset({"daemon": "negotiator", "name": judged["name"]}.items()))


@pytest.mark.disruptive
def test_a_frozen_negotiator_turns_critical_and_back(app_with):
    # the server reads NEGOTIATOR_INTERVAL from its own HTCondor config: the pool's (1 s) here
    app = app_with(env={"_CONDOR_NEGOTIATOR_INTERVAL": "1"}, **FRESH_GAUGES)
    eventually(lambda: negotiator(app) == ("ok", 0), what="the negotiator judged ok")
    with frozen("condor_negotiator"):
        eventually(lambda: negotiator(app) == ("critical", 2), what="the frozen negotiator judged critical")
        assert app.get("/v1/why/health").json["negotiators"][0]["checks"]["last_cycle_age"]["verdict"] == "critical"
    eventually(lambda: negotiator(app) == ("ok", 0), what="the negotiator judged ok again")


def schedd2(app) -> tuple[str, bool, float | None]:
    """The second schedd's verdict, CurbMatchmaking check value and gauge."""
    schedd = next(each for each in app.get("/v1/why/health").json["schedds"] if each["name"].startswith("schedd2@"))
    gauge = samples(app, "restd_pool_schedd_curb_matchmaking").get(frozenset({"schedd": schedd["name"]}.items()))
    return schedd["verdict"], schedd["checks"]["curb_matchmaking"]["value"], gauge


@pytest.mark.disruptive
def test_a_schedd_that_curbs_matchmaking_turns_warning_and_back(app_with):
    app = app_with(**FRESH_GAUGES)
    eventually(lambda: schedd2(app) == ("ok", False, 0), what="the second schedd judged ok")
    with reconfigured("98-restd-test-curb-matchmaking.conf", "SCHEDD2.CURB_MATCHMAKING = true\n"):
        eventually(lambda: schedd2(app) == ("warning", True, 1), what="the curbing schedd judged a warning")
    eventually(lambda: schedd2(app) == ("ok", False, 0), what="the second schedd judged ok again")
