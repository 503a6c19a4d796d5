"""GET /v1/why/health: the daemons' numbers and verdicts from the real
pool, turned by the site's thresholds and by a frozen negotiator."""
from __future__ import annotations

import pytest

from restd_plugins.why.verdicts import CHECKS, VERDICTS

from .pool import frozen, pool_sh
from .waiting import eventually


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


def negotiator_age_verdict(app) -> str:
    return app.get("/v1/why/health").json["negotiators"][0]["checks"]["last_cycle_age"]["verdict"]


@pytest.mark.disruptive
def test_a_frozen_negotiator_turns_critical_and_back(app_with):
    # the server reads NEGOTIATOR_INTERVAL from its own HTCondor config: the pool's (1 s) here
    app = app_with(env={"_CONDOR_NEGOTIATOR_INTERVAL": "1"})
    assert negotiator_age_verdict(app) == "ok"
    with frozen("condor_negotiator"):
        eventually(lambda: negotiator_age_verdict(app) == "critical", what="the frozen negotiator judged critical")
    eventually(lambda: negotiator_age_verdict(app) == "ok", what="the negotiator judged ok again")
