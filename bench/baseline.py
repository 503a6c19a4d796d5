"""Another commit's server, for benchmarks that measure it side by side
with this tree's (``perf.py --baseline COMMIT``).

``tree_of(commit)`` is a git worktree of the commit (made once, under the
temporary directory, detached: no branch is made or moved) with a venv of
its own that installs only that tree (``pip install --no-deps -e``: its
own entry points, the app factory and plugins of that commit) and reaches
this venv's packages through a ``.pth`` file: the same libraries on both
sides, so that what differs is the code, and seconds to make instead of
the minutes of its ``scripts/setup.sh``. ``launcher_of(tree)`` serves an
ini file with that tree's ``pserve``.
"""
from __future__ import annotations

import subprocess
import sys
import sysconfig
import tempfile
import venv
from collections.abc import Callable
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

#: The command that serves an ini file on a port.
Launcher = Callable[[Path, int], list[str]]


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(PROJECT), *args], check=True, capture_output=True, text=True).stdout.strip()


def tree_of(commit: str) -> Path:
    """The worktree of ``commit`` (any name git knows), ready to serve."""
    sha = _git("rev-parse", "--verify", f"{commit}^{{commit}}")
    tree = Path(tempfile.gettempdir()) / f"restd-bench-base-{sha[:12]}"
    if not (tree / "setup.py").exists():
        print(f"making a worktree of {commit} ({sha[:12]}) in {tree}", flush=True)
        _git("worktree", "add", "--detach", "--force", str(tree), sha)
    python = tree / ".venv" / "bin" / "python"
    if not python.exists():
        _make_venv(tree)
    return tree


def _make_venv(tree: Path) -> None:
    """``tree``'s venv: this one's packages (a ``.pth``), that tree installed."""
    print(f"making {tree}/.venv (this venv's packages, that tree's code)", flush=True)
    venv.EnvBuilder(with_pip=False).create(tree / ".venv")
    python = tree / ".venv" / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "restd-bench-shared.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "-e", str(tree)], check=True)


def launcher_of(tree: Path) -> Launcher:
    """``pserve`` of ``tree``'s venv (``python -m``: a venv made by
    ``tree_of`` has no scripts of the packages it shares)."""
    python = tree / ".venv" / "bin" / "python"
    if not python.exists():
        raise SystemExit(f"{python} is missing: run {tree}/scripts/setup.sh first")
    return lambda ini, port: [str(python), "-m", "pyramid.scripts.pserve", str(ini)]
