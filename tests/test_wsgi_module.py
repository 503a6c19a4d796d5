"""``restd_core.wsgi``: the module-level app that gunicorn, uWSGI and mod_wsgi
import, made from the ini file ``RESTD_INI`` names (in a fresh interpreter
each: the app is made when the module is imported)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .wsgi_servers import APP_SETTINGS, PROJECT

SHOW_APP = "import restd_core.wsgi as m; print(m.application is m.app, m.app.registry.settings['restd.gateway.workers'])"


def write_ini(path: Path, workers: int) -> Path:
    path.write_text("[app:main]\n" + "".join(f"{k} = {v}\n" for k, v in {**APP_SETTINGS, "restd.gateway.workers": workers}.items()))
    return path


def import_app(cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {key: value for key, value in os.environ.items() if key != "RESTD_INI"}
    return subprocess.run([sys.executable, "-c", SHOW_APP], cwd=cwd, capture_output=True, text=True,
                          env={**environ, "PYTHONPATH": str(PROJECT), **env}, timeout=60)


def test_restd_ini_names_the_ini_file_of_the_app(condor_config: str, tmp_path: Path):
    ini = write_ini(tmp_path / "site.ini", 5)
    assert import_app(tmp_path, RESTD_INI=str(ini)).stdout.split() == ["True", "5"]


def test_without_restd_ini_the_app_is_production_ini_of_the_working_directory(condor_config: str, tmp_path: Path):
    write_ini(tmp_path / "production.ini", 4)
    assert import_app(tmp_path).stdout.split() == ["True", "4"]


def test_a_missing_ini_file_stops_the_import_naming_it_and_the_variable(tmp_path: Path):
    imported = import_app(tmp_path, RESTD_INI="/nonexistent/restd.ini")
    assert imported.returncode != 0
    assert "/nonexistent/restd.ini: no such ini file (RESTD_INI names the ini file" in imported.stderr
