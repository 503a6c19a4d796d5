"""Endpoint plugins, found through the ``restd.endpoints`` entry-point group.

A plugin is a module (or anything ``config.include`` takes) with an
``includeme(config)`` that adds its Cornice services. The ini setting
``restd.endpoints`` lists the ones to turn on (all installed ones by
default, ``*``); a plugin that is asked for but missing, or that fails to
import, stops the start-up with an error that names it.

A plugin declares what it needs of others in its ``includeme``::

    config.require_gateway_operations("query_jobs", "query_status")
    config.require_plugins("jobs", "status")

and ``check_requirements`` checks them once every plugin is included,
before the app is made: one that is missing stops the start-up with an
error that names both the plugin and what it needs (rather than a server
whose every call of it fails).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Literal

from pyramid.config import Configurator

from restd_core.assembly.wiring import wiring

log = logging.getLogger(__name__)

ENDPOINTS_GROUP = "restd.endpoints"


class PluginError(RuntimeError):
    """A plugin named in the configuration cannot be loaded."""


def available(group: str) -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=group)}


def load(entry_point: EntryPoint, group: str):
    try:
        return entry_point.load()
    except Exception as exc:
        raise PluginError(
            f"{group} plugin {entry_point.name!r} ({entry_point.value}) failed to load: {type(exc).__name__}: {exc}"
        ) from exc


def wanted(names: Sequence[str], found: dict[str, EntryPoint], group: str) -> list[str]:
    """The plugin names a setting asks for, in its order; ``*`` is every
    installed one, sorted."""
    if list(names) == ["*"]:
        return sorted(found)
    missing = [name for name in names if name not in found]
    if missing:
        raise PluginError(
            f"{group} plugin(s) {', '.join(missing)} not installed; installed: {', '.join(sorted(found)) or 'none'}"
        )
    return list(names)


def include_endpoints(config: Configurator, names: Sequence[str]) -> list[str]:
    """Include every endpoint plugin ``names`` asks for (``restd.endpoints``);
    returns their names."""
    found = available(ENDPOINTS_GROUP)
    names = wanted(names, found, ENDPOINTS_GROUP)
    for name in names:
        plugin = load(found[name], ENDPOINTS_GROUP)
        if not callable(getattr(plugin, "includeme", plugin)):
            raise PluginError(f"{ENDPOINTS_GROUP} plugin {name!r} ({found[name].value}) has no includeme(config)")
        config.include(plugin)
        log.info("endpoint plugin %s enabled", name)
    return names


@dataclass(frozen=True)
class Requirement:
    """``plugin`` (the package that declared it) needs the ``kind`` named ``name``."""

    plugin: str
    kind: Literal["gateway operation", "endpoint plugin"]
    name: str


def _declare(config: Configurator, kind: Literal["gateway operation", "endpoint plugin"],
             names: Sequence[str]) -> None:
    plugin = getattr(config.package, "__name__", str(config.package))
    wiring(config.registry).requirements.extend(Requirement(plugin, kind, name) for name in names)


def require_gateway_operations(config: Configurator, *names: str) -> None:
    """The directive ``config.require_gateway_operations``: operations this
    plugin calls that another plugin (or the core) registers."""
    _declare(config, "gateway operation", names)


def require_plugins(config: Configurator, *names: str) -> None:
    """The directive ``config.require_plugins``: endpoint plugins (by
    entry-point name) that must be turned on with this one."""
    _declare(config, "endpoint plugin", names)


def check_requirements(config: Configurator, endpoints: Sequence[str]) -> None:
    """``PluginError`` naming every plugin whose requirement no included
    plugin fulfils, and what it needs."""
    restd = wiring(config.registry)
    operations = restd.operations
    present = {
        "gateway operation": lambda name: operations.get(name) is not None,
        "endpoint plugin": lambda name: name in endpoints,
    }
    missing = [need for need in restd.requirements if not present[need.kind](need.name)]
    if missing:
        raise PluginError("; ".join(
            f"{need.plugin} needs the {need.kind} {need.name!r}, which "
            + ("no included plugin registers" if need.kind == "gateway operation"
               else f"restd.endpoints does not turn on ({', '.join(endpoints) or 'none'})")
            for need in missing
        ))


def includeme(config: Configurator) -> None:
    """The directives by which plugins declare what they need."""
    wiring(config.registry).requirements = []
    config.add_directive("require_gateway_operations", require_gateway_operations)
    config.add_directive("require_plugins", require_plugins)
