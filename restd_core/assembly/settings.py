"""Every ini setting, declared once: name, type, default, meaning.

A table is a frozen dataclass whose fields are ``setting(...)``s; its
field's type is the setting's type. ``parse(Table, raw)`` reads the ini's
strings once, at start-up, into a typed object; a value that does not fit
stops the start-up with an error that names the setting. A setting may
name an environment variable that comes first (``env``: a secret or a
site's address kept out of the ini file); the documentation says so
(``Declared.meaning``). A list setting may add to its default rather than
replace it (``extends``: patterns that must stay hidden whatever a site
adds). The core's table is ``ServerSettings``
(``wiring(registry).settings``); the server's ``RESTD_*`` knobs, read
through HTCondor's configuration, are a table too
(``restd_core.assembly.condor_settings.RestdSettings``, parsed the same
way from the knobs' values); a plugin declares its own table the same way
(``restd_plugins.auth.kbase.KBaseSettings``). The manual's settings tables
(``docs/``) list exactly these (``tests/test_settings.py``).
"""
from __future__ import annotations

import dataclasses
import os
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

#: A settings table: a dataclass.
T = TypeVar("T", bound="DataclassInstance")

_LIST_SEPARATORS = re.compile(r"[\s,]+")
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


class SettingError(ValueError):
    """An ini setting whose value does not fit its declaration."""


def split_list(value: object) -> list[str]:
    """A list setting or HTCondor list knob (comma- or space-separated) as a list."""
    if value is None:
        return []
    return [item for item in _LIST_SEPARATORS.split(str(value)) if item]


def setting(name: str, default: Any, meaning: str, *, minimum: float | None = None, shown: str | None = None,
            env: str | None = None, extends: bool = False) -> Any:
    """A field of a settings table: the ini's ``name``, its ``default``, what
    it means (the manual says the same), the lowest value it may take, how
    the manual shows the default when it is not the value itself, the
    environment variable whose value, if set and not empty, comes first,
    and for a list whether a value given comes after the default's items
    instead of replacing them."""
    metadata = {"name": name, "meaning": meaning, "minimum": minimum, "shown": shown, "env": env, "extends": extends}
    if isinstance(default, (list, dict, set)):
        raise TypeError("a setting's default must be immutable (a tuple for a list)")
    if extends and not isinstance(default, tuple):
        raise TypeError("only a list setting (a tuple default) extends its default")
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Declared:
    """One declared setting, as documentation sees it."""

    name: str
    default: str
    meaning: str


def names(table: type[T]) -> dict[str, str]:
    """The names of a table's settings, by field."""
    return {f.name: f.metadata["name"] for f in dataclasses.fields(table)}


def declared(table: type) -> list[Declared]:
    return [
        Declared(f.metadata["name"], f.metadata["shown"] or _shown(f.default), _meaning(f.metadata))
        for f in dataclasses.fields(table)
    ]


def _meaning(metadata: Mapping[str, Any]) -> str:
    if metadata["env"] is None:
        return metadata["meaning"]
    return f"{metadata['meaning']} (`{metadata['env']}` in the environment comes first)"


def _shown(default: Any) -> str:
    if default is None:
        return "(none)"
    if isinstance(default, bool):
        return "`true`" if default else "`false`"
    if isinstance(default, tuple):
        return f"`{' '.join(default)}`" if default else "(none)"
    if isinstance(default, str):
        return f"`{default}`"
    return f"{default:g}" if isinstance(default, float) else str(default)


def parse(table: type[T], raw: Mapping[str, Any], environ: Mapping[str, str] = os.environ) -> T:
    """``table`` with the values ``raw`` (the ini's settings) gives, each
    after its environment variable in ``environ``; an absent or empty
    setting takes its default."""
    hints = typing.get_type_hints(table)
    values = {}
    for f in dataclasses.fields(table):
        name, env = f.metadata["name"], f.metadata["env"]
        value = (env and environ.get(env)) or raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        values[f.name] = _converted(name, value, hints[f.name], f.metadata["minimum"])
        if f.metadata["extends"]:
            values[f.name] = f.default + values[f.name]
    return table(**values)


def _converted(name: str, value: Any, kind: Any, minimum: float | None) -> Any:
    options = [option for option in typing.get_args(kind) if option is not type(None)]
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        kind = options[0]  # "X | None": an absent setting is None, a given one an X
    text = str(value).strip()
    if typing.get_origin(kind) is Literal:
        if text not in typing.get_args(kind):
            raise SettingError(f"setting {name} must be one of {', '.join(typing.get_args(kind))}, not {text!r}")
        return text
    if kind is bool:
        if isinstance(value, bool):
            return value
        if text.lower() not in _TRUE | _FALSE:
            raise SettingError(f"setting {name} must be true or false, not {text!r}")
        return text.lower() in _TRUE
    if kind in (int, float):
        try:
            number = kind(text)
        except ValueError:
            raise SettingError(f"setting {name} must be {'an integer' if kind is int else 'a number'}, "
                               f"not {text!r}") from None
        if minimum is not None and number < minimum:
            raise SettingError(f"setting {name} must be {minimum:g} or more, not {text}")
        return number
    if typing.get_origin(kind) is tuple:
        return tuple(split_list(text))
    return text


@dataclass(frozen=True)
class ServerSettings:
    """The core's settings (``[app:main]`` of the ini file)."""

    endpoints: tuple[str, ...] = setting(
        "restd.endpoints", ("*",),
        "endpoint plugins to turn on, by entry-point name (`jobs status config`), `*` for all installed")
    includes: tuple[str, ...] = setting(
        "restd.includes", (),
        "more modules to include (`config.include`) after the endpoint plugins, by dotted name: a plugin that "
        "is not an installed package")
    auth: str = setting("restd.auth", "none", "the auth plugin (entry-point group `restd.auth`): `none`, "
                        "`kbase`, `oidc`, `static-token`, or a third party's; or several (`kbase oidc`): the "
                        "first that recognises the credentials decides")
    auth_allow_open: bool = setting(
        "restd.auth.allow_open", False, "let `restd.auth = none` serve a listen address that is not loopback")
    ini_file: str = setting(
        "restd.ini_file", "", "the ini file whose `[server:main]` the open-server check reads (PasteDeploy's "
        "own file by default)", shown="the loaded ini")
    gateway_workers: int = setting(
        "restd.gateway.workers", 3, "worker processes making HTCondor calls (concurrent queries)", minimum=1)
    gateway_timeout: float = setting(
        "restd.gateway.timeout", 20.0, "seconds the HTCondor calls of one request may take together; past it: "
        "503 with `Retry-After`, and the worker is replaced", minimum=0.001)
    gateway_listing_parts: int = setting(
        "restd.gateway.listing_parts", 2, "with the response cache off, a queue listing is split between up to "
        "this many idle workers, which query and convert their parts at the same time (1: never split); a split "
        "always leaves one worker idle, so with 2 workers nothing is split; a cached listing is always one query",
        minimum=1)
    gateway_worker_memory: int = setting(
        "restd.gateway.worker_memory", 4 * 1024 * 1024 * 1024, "bytes of data (heap; `RLIMIT_DATA`) each worker "
        "process may use; a call past it ends its worker, which is replaced, and answers 400 (too costly to "
        "evaluate) (0: no cap)", minimum=0, shown="4294967296 (4 GiB)")
    every_schedd_remember_seconds: float = setting(
        "restd.every_schedd.remember_seconds", 3600.0, "a schedd the collector no longer lists (one shut down "
        "takes its ad out at once) is named in the `failed` list of pool-wide (`*`) answers for this long after "
        "it was last listed (0: only the collector's list)", minimum=0)
    condor_jwt_token: str | None = setting(
        "restd.condor_jwt_token", None, "an HTCondor IDTOKEN for the server's queries", env="CONDOR_JWT_TOKEN")
    config_reload_seconds: float = setting(
        "restd.config_reload_seconds", 5.0, "HTCondor's config files (and the `RESTD_*` knobs) are re-read at "
        "most this often", minimum=0)
    readyz_timeout: float = setting(
        "restd.readyz.timeout", 3.0, "seconds each daemon has to answer `/readyz`", minimum=0.001)
    metrics: bool = setting("restd.metrics", True, "serve `/metrics` and count")
    access_log_format: Literal["kv", "json"] = setting(
        "restd.access_log.format", "kv", "the access log's lines: `kv` (key=value) or `json`")
    cache_ttl: float | None = setting(
        "restd.cache.ttl", None, "seconds an answer is served from the response cache (0: off); unset: "
        "HTCondor's `RESTD_CACHE_TTL` (default 2)", minimum=0, shown="`RESTD_CACHE_TTL`")
    cache_max_bytes: int = setting(
        "restd.cache.max_bytes", 256 * 1024 * 1024, "bytes the response cache holds at most (keys and "
        "bookkeeping counted)", minimum=0, shown="268435456 (256 MiB)")
    cache_max_entry_bytes: int = setting(
        "restd.cache.max_entry_bytes", 32 * 1024 * 1024, "an answer larger than this is not kept in the cache (nor "
        "shared with identical requests meanwhile): it is sent as it comes, from temporary files", minimum=0,
        shown="33554432 (32 MiB)")
    gateway_answers_in_flight_bytes: int = setting(
        "restd.gateway.answers_in_flight_bytes", 2 * 1024 * 1024 * 1024, "bytes of answers the server holds "
        "(in memory and temporary files) until they are sent, all listings together; beyond it a listing is 503 "
        "with `Retry-After` (0: no bound)", minimum=0, shown="2147483648 (2 GiB)")
    compression: bool = setting(
        "restd.compression", True, "compress answers for the callers that accept it (`Accept-Encoding`): JSON, "
        "`/metrics`, the dashboard's files; never an event stream")
    compression_min_bytes: int = setting(
        "restd.compression.min_bytes", 1024, "an answer smaller than this is sent as it is (unless the caller "
        "refuses `identity`)", minimum=0)
    compression_codings: tuple[str, ...] = setting(
        "restd.compression.codings", ("zstd", "gzip"), "the content codings offered (`zstd`, `br`, `gzip`), in the "
        "server's order of preference among those a caller accepts as much; a cached answer is compressed once in "
        "each, when it is stored")
    cors_origins: tuple[str, ...] = setting(
        "restd.cors.origins", (), "origins whose browser pages may call the API (`*` for any)")
    cors_allow_credentials: bool = setting(
        "restd.cors.allow_credentials", False, "let those pages send cookies and `Authorization` (not with `*`)")
    limits_queued_calls: int = setting(
        "restd.limits.queued_calls", 64, "HTCondor calls of one caller that may wait for a gateway worker at once "
        "(each holds a server thread); beyond it 429 with `Retry-After`", minimum=1)
    limits_concurrent_calls: int | None = setting(
        "restd.limits.concurrent_calls", None, "deprecated, no effect (a value given is logged as a warning at "
        "start-up): callers share the gateway's workers, see \"Limits per caller\"", minimum=0)
    limits_rate: str | None = setting(
        "restd.limits.rate", None, "requests per caller over the routes that need a permission, in `limits`' "
        "notation (`20/second`, `600 per minute`); beyond it 429")
    shared: str | None = setting(
        "restd.shared", None, "a Redis URL (`redis://host:6379/0`) whose server the replicas share: the response "
        "cache and its single flight, the auth plugins' answers, the rate limits; unset: each process keeps its own",
        env="RESTD_SHARED")
    shared_prefix: str = setting(
        "restd.shared.prefix", "restd:", "what every key in the shared store starts with (one Redis for several "
        "sites or releases)")
    shared_timeout: float = setting(
        "restd.shared.timeout", 0.25, "seconds one operation on the shared store may take (connecting included); "
        "past it this replica answers from its own in-process cache and limits until the store answers again",
        minimum=0.001)
    public_url: str | None = setting(
        "restd.public_url", None, "the server's public base URL (`https://restd.example.org`) for the links it "
        "sends (`Link: rel=\"next\"`); without it they are relative references")
