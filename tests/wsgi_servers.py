"""Real WSGI servers serving the app of an ini file (gunicorn, uWSGI, pserve),
each in a process group of its own, and the processes they make.

Every wait here is bounded (``PATIENCE``) and is never an assertion about
time: a test waits for what must happen, then checks it.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import requests

from .conftest import TEST_SETTINGS
from .waiting import PATIENCE, wait_until

BIN = Path(sys.executable).parent
PROJECT = Path(__file__).resolve().parent.parent
#: How a gateway worker process is started (restd_core/gateway/pool.py).
GATEWAY_WORKER = "-m restd_core.gateway.worker "
#: Server processes (of gunicorn and uWSGI) x gateway workers of the servers under test.
PROCESSES = 2
GATEWAY_WORKERS = 2

#: name: the command line, given the ini file and the address ("127.0.0.1:port").
COMMANDS: dict[str, Callable[[Path, str], list[str]]] = {
    # No control socket: gunicorn's is one path for all of root's gunicorns.
    "gunicorn": lambda ini, address: [
        str(BIN / "gunicorn"), "--paste", str(ini), "-w", str(PROCESSES), "-b", address, "--no-control-socket",
    ],
    "gunicorn-preload": lambda ini, address: [
        str(BIN / "gunicorn"), "--paste", str(ini), "-w", str(PROCESSES), "-b", address, "--no-control-socket",
        "--preload",
    ],
    "uwsgi": lambda ini, address: [
        str(BIN / "uwsgi"), "--http-socket", address, "--master", "--processes", str(PROCESSES),
        "--module", "restd_core.wsgi", "--need-app", "--die-on-term",
    ],
    "uwsgi-lazy-apps": lambda ini, address: [
        str(BIN / "uwsgi"), "--http-socket", address, "--master", "--processes", str(PROCESSES),
        "--module", "restd_core.wsgi", "--need-app", "--die-on-term", "--lazy-apps",
    ],
    "pserve-reload": lambda ini, address: [str(BIN / "pserve"), "--reload", str(ini)],
    "pserve": lambda ini, address: [str(BIN / "pserve"), str(ini)],
}

#: The [app:main] of the servers under test (a test may add to it).
APP_SETTINGS = {"use": "egg:condor-restd", **TEST_SETTINGS, "restd.auth": "none"}
INI = """\
[app:main]
{settings}
[server:main]
use = egg:waitress#main
listen = 127.0.0.1:{port}
"""


#: The ports free_port has handed out: servers started at the same time
#: bind theirs only later, so the kernel may offer one port twice meanwhile.
_HANDED_OUT: set[int] = set()
_HANDING_OUT = threading.Lock()


def free_port() -> int:
    """A port nothing listens on, never one handed out before in this run."""
    with _HANDING_OUT:
        while True:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            if port not in _HANDED_OUT:
                _HANDED_OUT.add(port)
                return port


def port_is_free(port: int) -> bool:
    """Nothing listens on ``port`` (a server's socket left open would)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass(frozen=True)
class Process:
    """One process, for good: its pid and its start time (a pid is reused)."""

    pid: int
    started: int

    @classmethod
    def of(cls, pid: int) -> Process | None:
        stat = _stat(pid)
        return None if stat is None else cls(pid, int(stat[19]))

    def alive(self) -> bool:
        stat = _stat(self.pid)
        return stat is not None and int(stat[19]) == self.started and stat[0] != "Z"

    @property
    def parent(self) -> int:
        stat = _stat(self.pid)
        return int(stat[1]) if stat else 0

    @property
    def group(self) -> int:
        stat = _stat(self.pid)
        return int(stat[2]) if stat else 0

    def cmdline(self) -> str:
        try:
            return Path(f"/proc/{self.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            return ""

    def waiting_in(self) -> str:
        """The kernel function the process waits in (``unix_stream_read_generic``:
        a gateway worker waiting for its next call)."""
        try:
            return Path(f"/proc/{self.pid}/wchan").read_text()
        except OSError:
            return ""

    def is_gateway_worker(self) -> bool:
        return GATEWAY_WORKER in self.cmdline()

    def children(self) -> list[Process]:
        pids = []
        try:
            for task in Path(f"/proc/{self.pid}/task").iterdir():
                pids += (task / "children").read_text().split()
        except OSError:
            return []
        return [child for child in map(Process.of, map(int, pids)) if child is not None and child.alive()]

    def tree(self) -> list[Process]:
        """This process and all its descendants that are alive."""
        found = [self] if self.alive() else []
        for child in self.children():
            found += child.tree()
        return found


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def in_group(group: int) -> list[Process]:
    """The living processes of process group ``group``: a server's every
    process (its workers and their gateway workers stay in it)."""
    found = [Process.of(int(path.name)) for path in Path("/proc").iterdir() if path.name.isdigit()]
    return [process for process in found if process is not None and process.alive() and process.group == group]


def gone(processes: list[Process], patience: float = PATIENCE) -> bool:
    """Whether all these processes ended (waits for them, boundedly)."""
    return wait_until(lambda: not any(process.alive() for process in processes), patience)


def sigkill(processes: list[Process]) -> None:
    for process in processes:
        os.kill(process.pid, signal.SIGKILL)


class Server:
    """A server started by ``COMMANDS[name]`` on a free port, with an ini of
    its own in ``directory``; answering ``/healthz`` when made."""

    def __init__(
        self, name: str, directory: Path, gateway_workers: int = GATEWAY_WORKERS, settings: dict[str, str] | None = None
    ) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ini = directory / f"{name}-{self.port}.ini"
        app = {**APP_SETTINGS, "restd.gateway.workers": str(gateway_workers), **(settings or {})}
        self.ini.write_text(INI.format(port=self.port, settings="".join(f"{key} = {value}\n" for key, value in app.items())))
        self.gateway_workers_each = gateway_workers
        self.processes = 1 if name.startswith("pserve") else PROCESSES
        self.log = directory / f"{name}-{self.port}.log"
        env = {**os.environ, "RESTD_INI": str(self.ini), "_CONDOR_RESTD_CACHE_TTL": "0",
               "PYTHONPATH": str(PROJECT)}  # the fake operation of tests/fakes, for tests that use them
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                COMMANDS[name](self.ini, f"127.0.0.1:{self.port}"), env=env, cwd=directory,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self.master = Process.of(self.process.pid)
        try:
            if not wait_until(self._answers):
                raise RuntimeError(f"{name} did not answer /healthz; its log:\n{self.log.read_text()}")
        except BaseException:
            self.kill()
            raise

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}; its log:\n{self.log.read_text()}")
        try:
            return requests.get(f"{self.url}/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, timeout=PATIENCE)

    def get_all(self, path: str) -> list[requests.Response]:
        """``path`` asked a few times at once, so that every serving process takes some."""
        with ThreadPoolExecutor(2 * self.processes) as threads:
            return list(threads.map(self.get, [path] * 2 * self.processes))

    def serving(self) -> list[Process]:
        """The processes that answer requests: the master's children (its
        own process with pserve, whose child is the server)."""
        return [child for child in self.master.children() if not child.is_gateway_worker()]

    def gateways(self) -> dict[Process, list[Process]]:
        """Each serving process's gateway workers."""
        return {process: [child for child in process.children() if child.is_gateway_worker()]
                for process in self.serving()}

    def gateway_workers(self) -> list[Process]:
        return [process for process in self.master.tree() if process.is_gateway_worker()]

    def warm(self, path: str = "/v1/config/COLLECTOR_HOST") -> dict[Process, list[Process]]:
        """Ask HTCondor questions until every serving process has all its
        gateway workers (each starts them with its first call); every
        question must be answered."""

        def warm() -> bool:
            try:
                statuses = [answer.status_code for answer in self.get_all(path)]
            except requests.ConnectionError:  # pserve --reload: its new server is not listening yet
                return False
            assert set(statuses) == {200}, f"{self.name}: GET {path}: {statuses}"
            gateways = self.gateways()
            return len(gateways) == self.processes and all(
                len(workers) == self.gateway_workers_each for workers in gateways.values())

        assert wait_until(warm), f"not every {self.name} process started its gateway workers: {self.gateways()}"
        return self.gateways()

    def signal(self, signum: int, *, group: bool = False) -> None:
        """``signum`` to the master, or to the whole process group (what a
        terminal's Ctrl-C and Ctrl-\\ do)."""
        if group:
            os.killpg(self.process.pid, signum)
        else:
            self.process.send_signal(signum)

    def ended(self) -> bool:
        """Whether the master exited (waits for it, boundedly)."""
        try:
            self.process.wait(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            return False
        return True

    def left_behind(self) -> list[Process]:
        """The server's processes still alive (after it ended: none, if it cleaned up)."""
        return in_group(self.process.pid)

    def kill(self) -> None:
        """Whatever is left of the server: killed."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=PATIENCE)


@contextmanager
def started(names: list[str], directory: Path, gateway_workers: int = GATEWAY_WORKERS) -> Iterator[list[Server]]:
    """Servers of these names, started at the same time and warmed; killed at the end."""
    with ThreadPoolExecutor(len(names)) as threads:
        futures = [threads.submit(Server, name, directory, gateway_workers) for name in names]
    servers = [future.result() for future in futures if future.exception() is None]
    try:
        for future in futures:
            future.result()  # the first that failed to start, raised
        with ThreadPoolExecutor(len(servers)) as threads:
            list(threads.map(Server.warm, servers))
        yield servers
    finally:
        for server in servers:
            server.kill()
