"""Endpoint plugins, found through the ``restd.endpoints`` entry-point group.

A plugin is a module (or anything ``config.include`` takes) with an
``includeme(config)`` that adds its Cornice services. The ini setting
``restd.endpoints`` lists the ones to turn on (all installed ones by
default, ``*``); a plugin that is asked for but missing, or that fails to
import, stops the start-up with an error that names it.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from importlib.metadata import EntryPoint, entry_points

from pyramid.config import Configurator


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
