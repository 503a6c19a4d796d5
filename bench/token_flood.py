"""Invented KBase tokens against the callers who have real ones (issue 21,
point 2); not a test.

A server with the kbase plugin (development.ini, waitress's 8 threads)
asks ``tests/fake_auth2.py``, which answers every call ``--delay`` seconds
late; ``restd.kbase.cache_seconds = 0``, so every request is a check, as
when a known user's cache entry has just expired. For ``--seconds``, first
without and then with a flood (``--flooders`` threads on keep-alive
connections from ``--flood-addresses`` addresses, 127.0.0.66 and on, each
request a new invented token), other
callers ask ``/v1/config/condor_version`` one request after the other:

- known users: ``--known`` threads, each with a token that was valid
  before (checked once at the start), each from its own address;
- a new user: one thread from 127.0.2.1, a token never seen before each
  request (a user who has just logged in).

It prints, per phase side by side, their answers by status, median and
worst latency; the flood's answers by status; and the server's log lines
about refusals against the refusals.

    .venv/bin/python bench/token_flood.py        # the pool running
    .venv/bin/python bench/token_flood.py --tree ../other-worktree   # that tree's server (its .venv)
"""
from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from baseline import launcher_of
from perf import PROJECT, Server, pserve

sys.path.insert(0, str(PROJECT))

from tests import fake_auth2  # noqa: E402

PATH = "/v1/config/condor_version"
FLOOD_ADDRESSES = "127.0.0.{}"
FIRST_FLOOD_ADDRESS = 66
NEW_USER_ADDRESS = "127.0.2.1"


@dataclass
class Answers:
    """What one kind of caller got in one phase."""

    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    def summary(self) -> str:
        if not self.latencies:
            return "no requests"
        statuses = " ".join(f"{status}:{count}" for status, count in sorted(self.statuses.items()))
        return (f"{statuses:>18}  median {statistics.median(self.latencies) * 1000:6.0f} ms"
                f"  worst {max(self.latencies) * 1000:6.0f} ms")


def ask(port: int, source: str, token: str, connection: http.client.HTTPConnection | None = None,
        ) -> tuple[int, float, http.client.HTTPConnection]:
    """GET ``PATH`` with ``token`` from ``source``: (status, seconds, the connection to reuse); status 0: no answer."""
    started = time.perf_counter()
    try:
        connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=60,
                                                               source_address=(source, 0))
        connection.request("GET", PATH, headers={"Authorization": token})
        response = connection.getresponse()
        response.read()
        status = response.status
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            connection = None
    except OSError:
        if connection is not None:
            connection.close()
        status, connection = 0, None
    return status, time.perf_counter() - started, connection


def caller(port: int, source: str, tokens, until: float, answers: Answers) -> None:
    connection = None
    while time.monotonic() < until:
        status, seconds, connection = ask(port, source, next(tokens), connection)
        answers.statuses[status] += 1
        answers.latencies.append(seconds)


def flood(port: int, source: str, until: float, answers: Answers) -> None:
    connection = None
    while time.monotonic() < until:
        status, _, connection = ask(port, source, uuid.uuid4().hex, connection)
        answers.statuses[status] += 1


def refusal_lines(log: Path, start: int) -> int:
    with log.open("rb") as text:
        text.seek(start)
        return sum(1 for line in text if b"restd_core.pipeline.security" in line)


def phase(port: int, log: Path, known: dict[str, str], seconds: float, flooders: int = 0,
          flood_addresses: int = 1) -> dict[str, object]:
    until = time.monotonic() + seconds
    known_answers, new_answers, flood_answers = Answers(), Answers(), Answers()
    log_start = log.stat().st_size
    threads = [threading.Thread(target=caller, args=(port, address, iter(lambda t=token: t, None), until,
                                                     known_answers))
               for token, address in known.items()]
    fresh = (f"user-new-{uuid.uuid4().hex}" for _ in iter(int, 1))
    threads.append(threading.Thread(target=caller, args=(port, NEW_USER_ADDRESS, fresh, until, new_answers)))
    threads += [threading.Thread(target=flood, args=(
        port, FLOOD_ADDRESSES.format(FIRST_FLOOD_ADDRESS + n % flood_addresses), until, flood_answers))
        for n in range(flooders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(0.5)  # the log's last lines
    refused = sum(count for status, count in flood_answers.statuses.items() if status not in (200, 401))
    return {"known users": known_answers.summary(), "new user": new_answers.summary(),
            "flood": " ".join(f"{s}:{c}" for s, c in sorted(flood_answers.statuses.items())) or "-",
            "log lines (refusals)": f"{refusal_lines(log, log_start)} ({refused})"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds auth2 takes per answer")
    parser.add_argument("--flooders", type=int, default=16)
    parser.add_argument("--flood-addresses", type=int, default=1, help="addresses the flooders share")
    parser.add_argument("--known", type=int, default=4, help="known users, one thread each")
    parser.add_argument("--tree", type=Path, default=PROJECT, help="the source tree whose server runs")
    args = parser.parse_args()

    auth2 = fake_auth2.start()
    auth2.delay = args.delay
    log = Path(tempfile.mkdtemp(prefix="restd-token-flood-")) / "server.log"
    launcher = pserve if args.tree == PROJECT else launcher_of(args.tree)
    server = Server(2, log, cache_ttl=2, launcher=launcher, tree=args.tree, ready_path="/readyz", overrides={
        "app:main": {"restd.auth": "kbase", "restd.kbase.auth_url": auth2.url, "restd.kbase.cache_seconds": "0"},
        "server:main": {"threads": "8"},
    })
    try:
        known = {f"user-known-{n}": f"127.0.1.{n + 1}" for n in range(args.known)}
        for token, address in known.items():  # valid before
            assert ask(server.port, address, token)[0] == 200
        results = {"without the flood": phase(server.port, log, known, args.seconds),
                   f"with {args.flooders} flooders from {args.flood_addresses} address(es)": phase(
                       server.port, log, known, args.seconds, args.flooders, args.flood_addresses)}
    finally:
        server.close()
        fake_auth2.stop(auth2)
    print(f"tree {args.tree}, auth2 {args.delay:g} s an answer, {args.seconds:g} s a phase, log {log}")
    for name, result in results.items():
        print(f"\n{name}:")
        for what, value in result.items():
            print(f"  {what:22} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
