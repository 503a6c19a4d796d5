"""The server's RESTD_* knobs, read through HTCondor's own configuration.

So ``condor_config``, the user config file and ``_CONDOR_RESTD_MAX_JOBS=5``
in the environment all work. Values are re-read at most every
``refresh_seconds``, behind the requests; when HTCondor cannot be asked,
the last values stay.
"""
from __future__ import annotations

from dataclasses import dataclass

from restd_core.gateway import Gateway, GatewayError
from restd_core.gateway.kinds import DEFAULT_HIDE_CONFIG_PARAMS
from restd_core.reuse.reused import Reused
from restd_core.assembly.settings import split_list

DEFAULT_MAX_JOBS = 50_000
#: Seconds an answer is served from the response cache (0: no cache).
DEFAULT_CACHE_TTL = 2.0

@dataclass(frozen=True)
class RestdSettings:
    max_jobs: int = DEFAULT_MAX_JOBS
    hide_job_attrs: tuple[str, ...] = ()
    hide_config_params: tuple[str, ...] = DEFAULT_HIDE_CONFIG_PARAMS
    cache_ttl: float = DEFAULT_CACHE_TTL

    def shaping(self) -> tuple[object, ...]:
        """The settings that answers depend on (what is hidden, how many
        jobs at most): part of every response cache key, so that a replica
        never serves another's answer made under other settings (its config
        changed first), nor one made before its own config changed."""
        return self.max_jobs, self.hide_job_attrs, self.hide_config_params


class CondorSettings:
    """RestdSettings as HTCondor's configuration has them, reused for
    ``refresh_seconds`` and then read again behind the requests (``Reused``):
    a request, even one the response cache answers, never waits for a worker
    to read them, but the first ones, and every one with ``refresh_seconds``
    0 (read at each request)."""

    KNOBS = ["RESTD_MAX_JOBS", "RESTD_HIDE_JOB_ATTRS", "RESTD_HIDE_CONFIG_PARAMS", "RESTD_CACHE_TTL"]

    def __init__(self, gateway: Gateway, refresh_seconds: float) -> None:
        self._gateway = gateway
        self._knobs = Reused(self._read, refresh_seconds, behind=refresh_seconds > 0, name="RESTD_* knobs")

    def get(self) -> RestdSettings:
        return self._knobs.get()

    def _read(self) -> RestdSettings:
        return self._parse(self._gateway.call("read_params", names=self.KNOBS))

    @staticmethod
    def _parse(values: dict[str, object]) -> RestdSettings:
        max_jobs = values.get("RESTD_MAX_JOBS")
        try:
            max_jobs = int(max_jobs) if max_jobs not in (None, "") else DEFAULT_MAX_JOBS
        except (TypeError, ValueError):
            raise GatewayError(f"RESTD_MAX_JOBS must be an integer, not {max_jobs!r}") from None
        cache_ttl = values.get("RESTD_CACHE_TTL")
        try:
            cache_ttl = float(cache_ttl) if cache_ttl not in (None, "") else DEFAULT_CACHE_TTL
        except (TypeError, ValueError):
            raise GatewayError(f"RESTD_CACHE_TTL must be a number of seconds, not {cache_ttl!r}") from None
        return RestdSettings(
            max_jobs=max(max_jobs, 1),
            cache_ttl=max(cache_ttl, 0.0),
            hide_job_attrs=tuple(split_list(values.get("RESTD_HIDE_JOB_ATTRS"))),
            hide_config_params=DEFAULT_HIDE_CONFIG_PARAMS + tuple(split_list(values.get("RESTD_HIDE_CONFIG_PARAMS"))),
        )
