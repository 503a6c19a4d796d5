"""The app's wiring: what each initialization step makes, in one typed object.

``wiring(registry)`` (``registry.restd``) is made by ``app.main`` with the
parsed settings; each step of ``app.INITIALIZATION_SEQUENCE`` sets what it
makes, and later steps, plugins and views read it typed::

    gateway = wiring(request.registry).gateway

What a step has not made yet is an ``AttributeError`` that says so. A
plugin keeps its own objects by their class (``keep(hub)``,
``kept(Hub)``) rather than in attributes of its own on the registry.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # what the steps make; importing them here would be an import circle
    from restd_core.assembly.condor_settings import CondorSettings
    from restd_core.assembly.plugins import Requirement
    from restd_core.assembly.settings import ServerSettings
    from restd_core.gateway import Gateway, Operations
    from restd_core.gateway.spool import AnswersInFlight
    from restd_core.monitoring.health import Readiness
    from restd_core.monitoring.metrics import Metrics
    from restd_core.pipeline.compression import Compression
    from restd_core.pipeline.limits import RateLimit
    from restd_core.pipeline.log_rate import RateLog
    from restd_core.pipeline.response_cache import ResponseCache, Snapshot
    from restd_core.pipeline.security import AuthPlugin, SecurityPolicy
    from restd_core.plugin_api.every_schedd import KnownSchedds
    from restd_core.shared import Store

T = TypeVar("T")


class Wiring:
    """Each field is set by the step named beside it (``app.py``)."""

    settings: ServerSettings  # app.main: the core's settings, parsed
    operations: Operations  # .gateway: the registry of operations
    gateway: Gateway  # app.include_gateway
    answers_in_flight: AnswersInFlight  # app.include_gateway: the bytes of answers held until sent
    condor_settings: CondorSettings  # app.include_gateway: the RESTD_* knobs
    requirements: list[Requirement]  # .plugins: what plugins declared they need
    shared: Store  # .shared
    auth: AuthPlugin  # .security: the auth plugin
    auth_refusals: RateLog  # .security
    security_policy: SecurityPolicy  # .security
    rate_limit: RateLimit | None  # .limits (None: restd.limits.rate unset)
    readiness: Readiness  # .health
    known_schedds: KnownSchedds  # .every_schedd
    metrics: Metrics  # .metrics
    compression: Compression  # .compression
    response_cache: ResponseCache  # .response_cache
    endpoints: list[str]  # app.main: the endpoint plugins turned on, by entry-point name
    openapi_document: dict[str, Any]  # .openapi, once the app is made
    openapi_answer: Snapshot  # .openapi, once the app is made: the document encoded, and compressed once

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self._kept: dict[type, Any] = {}

    if not TYPE_CHECKING:  # hidden from type checkers, which then still catch a misspelt field
        def __getattr__(self, name: str) -> Any:  # only for what is not set yet
            if name in type(self).__annotations__:
                raise AttributeError(f"the app's {name} is not made yet: the step that makes it comes later "
                                     "(restd_core.assembly.app.INITIALIZATION_SEQUENCE)")
            raise AttributeError(name)

    def keep(self, value: T) -> T:
        """Keep a plugin's object (one of its class per app); answers it."""
        if type(value) in self._kept:
            raise ValueError(f"the app already keeps a {type(value).__name__}")
        self._kept[type(value)] = value
        return value

    def kept(self, kind: type[T]) -> T:
        """The object of class ``kind`` kept by its plugin (``LookupError``
        if that plugin is not turned on)."""
        try:
            return self._kept[kind]
        except KeyError:
            raise LookupError(f"the app keeps no {kind.__name__}: is its plugin turned on?") from None


def wiring(registry: Any) -> Wiring:
    """The app's wiring (``registry``: Pyramid's registry, untyped)."""
    return registry.restd
