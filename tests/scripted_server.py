"""A server the project's own script runs (``scripts/redis.sh``,
``scripts/postgresql.sh``: ``start``, ``stop``, ``url``, ...) in a directory
of its own, named to the script by an environment variable."""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


@dataclass(frozen=True)
class ScriptedServer:
    """Its ``root`` directory: stopped and started again on the same port."""

    root: Path
    #: Its script in scripts/, and the variable that tells the script its directory.
    script: ClassVar[str]
    root_variable: ClassVar[str]

    def run(self, command: str) -> str:
        """The script's ``command``; its output."""
        env = {**os.environ, self.root_variable: str(self.root)}
        return subprocess.run([str(SCRIPTS / self.script), command], env=env, check=True, capture_output=True,
                              text=True).stdout

    def start(self) -> str:
        """Started if it is not running; its URL."""
        return self.run("start").strip()

    def stop(self) -> None:
        self.run("stop")

    @property
    def url(self) -> str:
        return self.run("url").strip()
