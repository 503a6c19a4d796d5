"""The plugin toolkit's stable face (``restd_core.plugin_api``): every name
it promises is there, and each half imports only what its process may."""
from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

HALVES = {"restd_core.plugin_api.web": "htcondor2", "restd_core.plugin_api.worker": "pyramid"}


@pytest.mark.parametrize("module", [*HALVES, "restd_core.plugin_api"])
def test_every_name_it_promises_is_there(module):
    imported = importlib.import_module(module)
    assert imported.__all__ and all(hasattr(imported, name) for name in imported.__all__)


def test_its_version_says_what_is_stable():
    from restd_core.plugin_api import VERSION

    assert VERSION[0] >= 1


@pytest.mark.parametrize(("module", "forbidden"), HALVES.items())
def test_each_half_leaves_the_other_process_alone(module, forbidden):
    code = f"import sys, {module}; print({forbidden!r} in sys.modules)"
    assert subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
