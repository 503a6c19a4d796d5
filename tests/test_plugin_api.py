"""The plugin toolkit's stable face (``restd_core.plugin_api``): every name
it promises is there, and each half imports only what its process may."""
from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

HALVES = {"restd_core.plugin_api.web": "htcondor2", "restd_core.plugin_api.worker": "pyramid",
          "restd_core.plugin_api.auth": "htcondor2"}
SHIPPED_PLUGINS = Path(__file__).resolve().parent.parent / "restd_plugins"


@pytest.mark.parametrize("module", [*HALVES, "restd_core.plugin_api"])
def test_every_name_it_promises_is_there(module, condor_config):
    # condor_config: the worker half imports HTCondor's bindings, which read their config once, at import
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


def core_imports(path: Path) -> set[str]:
    """The ``restd_core`` modules a file imports from."""
    return {node.module for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("restd_core")}


def test_the_plugins_we_ship_import_only_the_toolkit():
    faces = {*HALVES}
    assert {str(path.relative_to(SHIPPED_PLUGINS)): core_imports(path) - faces
            for path in SHIPPED_PLUGINS.rglob("*.py") if core_imports(path) - faces} == {}
