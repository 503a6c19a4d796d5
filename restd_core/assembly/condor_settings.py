"""The server's RESTD_* knobs, read through HTCondor's own configuration.

So ``condor_config``, the user config file and ``_CONDOR_RESTD_MAX_JOBS=5``
in the environment all work. ``RestdSettings`` declares them once, as the
ini's settings are declared (``settings.setting``: name, type, default,
meaning; parsed by ``settings.parse``; the manual lists them as declared);
the request process reads them through a worker (``CondorSettings``), and
a worker reads the ones its output filter needs from its own config
(``restd_core.gateway.worker.condor.hidden_job_attrs``), by the same table.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from restd_core.assembly.settings import SettingError, names, parse, setting
from restd_core.gateway import Gateway, GatewayError
from restd_core.gateway.kinds import DEFAULT_HIDE_CONFIG_PARAMS
from restd_core.reuse.reused import Reused


@dataclass(frozen=True)
class RestdSettings:
    """The ``RESTD_*`` knobs (HTCondor's configuration)."""

    max_jobs: int = setting(
        "RESTD_MAX_JOBS", 50_000, "the most jobs one jobs, grouped_jobs, history or grouped_history answer holds",
        minimum=1)
    hide_job_attrs: tuple[str, ...] = setting(
        "RESTD_HIDE_JOB_ATTRS", (), "job attributes (comma or space separated) shown as `\"<REDACTED>\"`")
    hide_config_params: tuple[str, ...] = setting(
        "RESTD_HIDE_CONFIG_PARAMS", DEFAULT_HIDE_CONFIG_PARAMS, "config knobs (patterns, comma or space "
        "separated) shown as `\"<REDACTED>\"`: the ones given are hidden besides the default ones, which stay "
        "hidden", shown="HTCondor's password, token, key and credential knobs (below)", extends=True)
    cache_ttl: float = setting(
        "RESTD_CACHE_TTL", 2.0, "seconds an answer is served from the response cache (0: off), unless "
        "`restd.cache.ttl` is set", minimum=0)

    def shaping(self) -> tuple[object, ...]:
        """The settings that answers depend on (what is hidden, how many
        jobs at most): part of every response cache key, so that a replica
        never serves another's answer made under other settings (its config
        changed first), nor one made before its own config changed."""
        return self.max_jobs, self.hide_job_attrs, self.hide_config_params


#: The knobs' names, by field of ``RestdSettings``.
KNOBS = names(RestdSettings)


def knobs_of(values: dict[str, object]) -> RestdSettings:
    """The knobs of HTCondor's ``values`` (by knob name; None or absent:
    not set). ``SettingError`` naming a knob whose value does not fit."""
    return parse(RestdSettings, {name: value for name, value in values.items() if value is not None}, environ={})


class CondorSettings:
    """RestdSettings as HTCondor's configuration has them, reused for
    ``refresh_seconds`` and then read again behind the requests (``Reused``):
    a request, even one the response cache answers, never waits for a worker
    to read them, but the first ones, and every one with ``refresh_seconds``
    0 (read at each request)."""

    def __init__(self, gateway: Gateway, refresh_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._gateway = gateway
        self._knobs = Reused(self._read, refresh_seconds, behind=refresh_seconds > 0, clock=clock,
                             name="RESTD_* knobs")

    def get(self) -> RestdSettings:
        return self._knobs.get()

    def _read(self) -> RestdSettings:
        values = self._gateway.call("read_params", names=list(KNOBS.values()))
        try:
            return knobs_of(values)
        except SettingError as exc:  # the server's config, not the caller's request: its last good values stay
            raise GatewayError(str(exc)) from None
