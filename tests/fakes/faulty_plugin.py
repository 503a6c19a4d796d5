"""A test plugin (``restd.includes = tests.fakes.faulty_plugin``) over the
``faulty`` operation: ``/faulty/{what}`` makes one call (within
``?timeout=`` seconds, if given; a short one with ``?short``, else a long
one, as a listing is), ``/faulty/split/{what}``
as many at once as the gateway spares for one request (up to 2, as a split
listing does); ``/flaky/{fails}`` a daemon call through ``ask`` that
fails its first ``fails`` times."""
from __future__ import annotations

from cornice import Service

from restd_core.plugin_api.responses import json_response

one = Service(name="faulty", path="/faulty/{what}")
split = Service(name="faulty_split", path="/faulty/split/{what}")
flaky = Service(name="flaky", path="/flaky/{fails}")


@one.get(permission="read")
def call_once(request):
    timeout = float(request.GET["timeout"]) if "timeout" in request.GET else None
    return json_response(request.gateway.call("faulty", timeout=timeout, short="short" in request.GET,
                                              what=request.matchdict["what"]))


@split.get(permission="read")
def call_split(request):
    gateway = request.gateway
    parts = gateway.spare_workers(2)
    return json_response(gateway.call_parts("faulty", [{"what": request.matchdict["what"]}] * parts))


@flaky.get(permission="read")
def call_flaky(request):
    return json_response(request.gateway.call("flaky", fails=int(request.matchdict["fails"])))


def includeme(config) -> None:
    config.add_gateway_operation("faulty", "tests.fakes.faulty_operations:faulty", daemon="schedd")
    config.add_gateway_operation("imported", "tests.fakes.faulty_operations:imported", daemon="schedd")
    config.add_cornice_service(one)
    config.add_gateway_operation("flaky", "tests.fakes.faulty_operations:flaky", daemon="schedd")
    config.add_cornice_service(split)
    config.add_cornice_service(flaky)
