"""A client generated from the live /openapi.json by openapi-python-client
(a generator nobody here wrote) builds with no warning, calls every read
endpoint against the real pool and parses every answer into its models.

The watch streams are left out: they never end, and the generator reads a
whole answer (their events are checked in tests/test_watch.py).
"""
from __future__ import annotations

import enum
import importlib
import inspect
import os
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import requests

from . import test_fuzz
from .pool import SubmittedJobs

PACKAGE = "restd_generated_client"
#: Streams: not called (see the module's docstring).
STREAMING_TAGS = {"watch"}

#: The app served over real HTTP (one fixture, defined once).
live_server_url = test_fuzz.live_server_url


@pytest.fixture(scope="module")
def generated(live_server_url, tmp_path_factory) -> tuple[ModuleType, str]:
    """``(the generated package, the generator's output)``."""
    where = tmp_path_factory.mktemp("generated")
    document = where / "openapi.json"
    document.write_bytes(requests.get(f"{live_server_url}/openapi.json", timeout=30).content)
    # The generator formats its code with ruff, from PATH.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(
        [Path(sys.executable).parent / "openapi-python-client", "generate", "--path", str(document),
         "--meta", "none", "--output-path", str(where / PACKAGE)],
        capture_output=True, text=True, env=env, timeout=300, check=True,
    )
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(PACKAGE), run.stdout + run.stderr
    finally:
        sys.path.remove(str(where))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def test_the_generator_has_no_warning(generated):
    _, output = generated
    assert "Warning" not in output, output


def path_values(tag: str, jobs: SubmittedJobs) -> dict[str, object]:
    """Path parameters (and the required query parameter ``by``) every
    route of ``tag`` answers with a 200."""
    return {"schedd": "DEFAULT", "clusterid": jobs.removed if "history" in tag else jobs.held, "procid": 0,
            "attribute": "COLLECTOR_PORT" if tag == "config" else "Cmd", "groupby": "Owner" if "jobs" in tag or
            "history" in tag else "MyType", "name": jobs.schedd_name, "by": "Owner"}


#: What a server without an archive of finished jobs (restd.archive unset) answers 404.
WITHOUT_AN_ARCHIVE_404 = ".get_summary_history"


def as_generated(module: ModuleType, name: str, value: object) -> object:
    """``value`` as the generated operation takes it: a parameter of a
    closed set of values (``by`` of /v1/summary/history) is an Enum."""
    enums = [kind for kind in vars(module).values() if isinstance(kind, type) and issubclass(kind, enum.Enum)
             and kind.__name__.lower().endswith(name)]
    return next(member for member in enums[0] if member.value.lower() == str(value).lower()) if enums else value


def read_operations(package: ModuleType) -> Iterator[tuple[str, ModuleType]]:
    api = importlib.import_module(f"{package.__name__}.api")
    for tag in pkgutil.iter_modules(api.__path__):
        if tag.name in STREAMING_TAGS:
            continue
        for operation in pkgutil.iter_modules(importlib.import_module(f"{api.__name__}.{tag.name}").__path__):
            yield tag.name, importlib.import_module(f"{api.__name__}.{tag.name}.{operation.name}")


def test_every_read_endpoint_answers_into_the_generated_models(generated, live_server_url, test_jobs):
    package, _ = generated
    error = importlib.import_module(f"{package.__name__}.models.error").Error
    called = []
    # Closed at the end: an httpx client left open leaves its socket to the garbage collector.
    with package.Client(base_url=live_server_url, raise_on_unexpected_status=True, timeout=60) as client:
        for tag, module in read_operations(package):
            wanted = inspect.signature(module.sync_detailed).parameters
            values = path_values(tag, test_jobs)
            answer = module.sync_detailed(client=client, **{name: as_generated(module, name, values[name])
                                                             for name in wanted if name in values})
            if module.__name__.endswith(WITHOUT_AN_ARCHIVE_404):  # this server keeps no archive: its documented 404
                assert answer.status_code == 404 and isinstance(answer.parsed, error), module.__name__
                continue
            assert answer.status_code == 200, (module.__name__, answer.content[:300])
            assert answer.parsed is not None and not isinstance(answer.parsed, error), module.__name__
            called.append(module.__name__.rsplit(".", 1)[-1])
    assert {"get_root", "get_healthz", "get_readyz", "get_metrics", "get_jobs", "get_history_attribute",
            "get_grouped_status_name", "get_config_attribute", "get_summary_jobs"} <= set(called)
