"""/readyz: the collector and the default schedd answer, within a short timeout."""
from __future__ import annotations

import math
import time

import pytest

from restd_core.monitoring.health import READY_REUSE_SECONDS

#: No collector listens here: connections are refused at once.
NO_COLLECTOR = {"_CONDOR_COLLECTOR_HOST": "127.0.0.1:1"}


def test_readyz_is_200_with_the_daemons_names_when_the_pool_answers(app, test_jobs):
    answer = app.get("/readyz").json
    assert answer["status"] == "ready"
    assert answer["schedd"]["name"] == test_jobs.schedd_name
    assert answer["collector"]["name"]


def test_readyz_is_503_naming_the_collector_when_it_does_not_answer(app_with):
    answer = app_with(env=NO_COLLECTOR).get("/readyz", status=503)
    assert answer.json["details"] == {"daemon": "collector"}
    assert answer.json["errno"] == 201
    assert "collector" in answer.json["message"]


def test_readyz_503_says_when_to_retry(app_with):
    assert app_with(env=NO_COLLECTOR).get("/readyz", status=503).headers["Retry-After"].isdigit()


def test_healthz_stays_200_when_the_pool_does_not_answer(app_with):
    assert app_with(env=NO_COLLECTOR).get("/healthz").json == {"status": "ok"}


def test_a_pool_endpoint_is_503_when_the_collector_does_not_answer(app_with):
    answer = app_with(env=NO_COLLECTOR).get("/v1/jobs/DEFAULT", status=503)
    assert answer.json["errno"] == 201
    assert answer.headers["Retry-After"].isdigit()


@pytest.mark.parametrize("path", ["/readyz", "/healthz"])
def test_health_endpoints_are_public(app, path):
    assert app.get(path).status_int == 200


def ping_calls(app) -> float:
    from .test_metrics import value

    return value(app, "restd_htcondor_call_duration_seconds_count", operation="ping", daemon="collector")


def test_a_flood_of_readiness_probes_costs_one_round_of_pings_a_second(app_with):
    app = app_with()
    started = time.monotonic()
    for _ in range(20):
        app.get("/readyz")
    seconds = math.ceil((time.monotonic() - started) / READY_REUSE_SECONDS)
    assert ping_calls(app) <= seconds + 1  # one round a second, one more if the flood straddled a second


def test_readyz_503_does_not_tell_the_public_htcondors_error_text(app_with):
    answer = app_with(env=NO_COLLECTOR).get("/readyz", status=503).json
    assert answer["message"] == "not ready: the collector did not answer"
