"""The container image's parts that run without a Docker engine: its one
install script (for real, into a temporary prefix), its Dockerfile (lint)
and production.ini."""
from __future__ import annotations

import shutil
import subprocess
import sys
from configparser import ConfigParser
from pathlib import Path

import pytest

from .pool import PROJECT


def pinned() -> dict[str, str]:
    lines = (PROJECT / "requirements.lock").read_text().splitlines()
    return dict(line.lower().split("==") for line in lines if line and not line.startswith("#"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    prefix = tmp_path_factory.mktemp("image") / "venv"
    subprocess.run([str(PROJECT / "scripts" / "install-image.sh"), str(prefix)], check=True, capture_output=True)
    return prefix


def test_the_install_script_installs_a_working_pserve(installed):
    assert subprocess.run([str(installed / "bin" / "pserve"), "--help"], capture_output=True).returncode == 0


def test_the_install_script_installs_the_pinned_versions(installed):
    frozen = subprocess.run([str(installed / "bin" / "python"), "-m", "pip", "freeze", "--all"],
                            capture_output=True, text=True, check=True).stdout.lower().split()
    assert {f"{name}=={version}" for name, version in pinned().items()} <= set(frozen)


def test_the_lock_pins_every_runtime_dependency(installed):
    frozen = subprocess.run([str(installed / "bin" / "python"), "-m", "pip", "freeze", "--all",
                             "--exclude", "condor-restd", "--exclude", "pip"],
                            capture_output=True, text=True, check=True).stdout.lower().split()
    assert {line.split("==")[0] for line in frozen} == set(pinned())


def hadolint() -> str | None:
    return shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "deploy/nginx.Dockerfile"])
def test_the_dockerfile_passes_hadolint(dockerfile: str):
    tool = hadolint()
    if tool is None:
        pytest.skip("hadolint is not installed (scripts/setup.sh installs it with the test extra)")
    linted = subprocess.run([tool, str(PROJECT / dockerfile)], capture_output=True, text=True)
    assert linted.returncode == 0, linted.stdout


def test_production_ini_serves_on_every_address_port_9680():
    ini = ConfigParser(interpolation=None)
    ini.read(PROJECT / "production.ini")
    assert ini["server:main"]["listen"] == "0.0.0.0:9680"
