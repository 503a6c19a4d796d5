"""The app's wiring: one typed object (restd_core.assembly.wiring), not attributes
scattered over Pyramid's registry."""
from __future__ import annotations

import pytest

from restd_core.assembly.settings import ServerSettings
from restd_core.assembly.wiring import Wiring, wiring
from restd_plugins.watch.hub import Hub

FORMER_ATTRIBUTES = ("gateway", "condor_settings", "metrics", "readiness", "response_cache", "openapi_document")


def test_the_wiring_is_the_one_attribute_of_ours_on_the_registry(app):
    registry = app.app.registry
    assert [name for name in vars(registry) if name.startswith("restd")] == ["restd"]
    assert not [name for name in FORMER_ATTRIBUTES if name in vars(registry)]
    assert wiring(registry).gateway.workers == 2 and wiring(registry).kept(Hub).watchers == 0  # TEST_SETTINGS


def test_what_no_step_has_made_yet_says_so():
    with pytest.raises(AttributeError, match="gateway is not made yet"):
        Wiring(ServerSettings()).gateway  # noqa: B018


def test_a_plugin_keeps_one_object_of_a_class_and_finds_it_by_that_class():
    restd = Wiring(ServerSettings())
    kept = restd.keep(Hub.__new__(Hub))
    assert restd.kept(Hub) is kept
    with pytest.raises(ValueError, match="already keeps a Hub"):
        restd.keep(Hub.__new__(Hub))
    with pytest.raises(LookupError, match="no Wiring"):
        restd.kept(Wiring)
