"""Listings owned by the gateway: a view asks for one in one call.

``stream_listing(request, operation, arguments)`` runs an operation that
streams its items (``wire.Streamed``, such as the toolkit's
``query_jobs``) and answers a WSGI body the response sends as it reads it:
the items went to the gateway's spools (``gateway.spool``) as the worker
made them, inside the answers-in-flight bound; a large body is lent to the
server's own I/O (``server_io``, through ``responses.listing_response``).
With ``split``, a listing is shared between idle workers (their parts
merged in key order); with the schedd ``*`` (``every_schedd``), every
schedd is asked at once and the answer is ``{"schedds", "failed", key:
[...]}``. Whoever calls it closes what it answers on an error (the
response does once sent).
"""
from __future__ import annotations

from typing import Any

from pyramid.request import Request

from restd_core.assembly.wiring import wiring
from restd_core.gateway.spool import Spool, SpooledListing, SpooledObject
from restd_core.pipeline.response_cache import cache_ttl
from restd_core.plugin_api.every_schedd import EVERY_SCHEDD, ask_every_schedd


def stream_listing(request: Request, operation: str, arguments: dict[str, Any], *, limit: int | None = None,
                   split: bool = False, key: str = "jobs") -> SpooledListing | SpooledObject:
    """The items ``operation`` streams for ``arguments``, at most ``limit``
    (each schedd's, for ``*``). ``split``: the operation takes ``part`` and
    ``parts`` and answers items whose keys sort the parts together; with the
    response cache off, the listing is then split between up to
    ``restd.gateway.listing_parts`` idle workers (never the last one).
    ``arguments["schedd"] == "*"``: every schedd, the items under ``key``."""
    if arguments.get("schedd") == EVERY_SCHEDD:
        return _every_schedd(request, operation, arguments, limit, key)
    gateway = request.gateway
    parts = 1
    # Uncached, a listing is split between idle workers, which query and
    # encode their parts at the same time (the bindings hold a worker's GIL
    # for the whole query). Cached, a listing is made once per time-to-live
    # for every caller: one query is gentler on the daemon.
    if split and cache_ttl(request) == 0:
        parts = gateway.spare_workers(wiring(request.registry).settings.gateway_listing_parts)
    spools = [Spool(wiring(request.registry).answers_in_flight) for _ in range(parts)]
    try:
        if parts == 1:
            received = [gateway.call(operation, **arguments, sink=spools[0])]
        else:
            received = gateway.call_parts(operation, [{**arguments, "part": part, "parts": parts}
                                                      for part in range(parts)], sinks=spools)
        return SpooledListing(list(zip(received, spools)), limit)
    except BaseException:
        for spool in spools:
            spool.close()
        raise


def _every_schedd(request: Request, operation: str, arguments: dict[str, Any], limit: int | None,
                  key: str) -> SpooledObject:
    """Every schedd's items (``*``): ``{"schedds", "failed", key: [...]}``,
    the schedds' items one after the other, in the order of their names."""
    in_flight = wiring(request.registry).answers_in_flight
    spools: dict[str, Spool] = {}

    def spool_for(name: str) -> Spool:
        spools[name] = Spool(in_flight)
        return spools[name]

    try:
        every = ask_every_schedd(request, operation, arguments, spool_for)
        listings = [SpooledListing([(every.answers[name], spools.pop(name))], limit) for name in every.schedds]
    finally:
        for spool in spools.values():  # the failed schedds' (every one's, on an error)
            spool.close()
    return SpooledObject(every.head(), key, listings)
