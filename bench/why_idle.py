"""Benchmark of the idle analysis (plugin why): 200 autoclusters of idle
jobs against 1,000 slot ads, within the request's budget.

    export CONDOR_POOL_ROOT=/var/tmp/pool-NAME CONDOR_POOL_PORT=PORT   # the pool pool/pool.sh runs
    export CONDOR_CONFIG=$(pool/pool.sh env | cut -d= -f2)
    cd bench && ../.venv/bin/python why_idle.py [--rounds 5] [--workers 2] [--keep]

Advertises SLOTS slot ads of different shapes (static and partitionable,
sizes, claimed or not, a stricter START for some; as any host the collector
lets advertise a startd can, ``condor_advertise``), submits GROUPS clusters
of JOBS_PER_GROUP idle jobs (each cluster its own autocluster: its own
memory request and Cpus clause), serves the app (response cache off,
``restd.gateway.timeout`` at its default 20 s, so the analysis' budget is
its default 8 s) and prints, side by side in one run (each round runs
every case once, in a rotated order):

- ``why idle, cold``: GET /v1/why/idle/DEFAULT, the worker reading the
  slot ads for every request (``restd.why.idle.slot_cache_seconds = 0``);
- ``why idle, warm``: the same, the worker reusing its last read of the
  slot ads and the clauses it evaluated (the default 5 s);
- ``condor_q -better-analyze``: HTCondor's CLI in the pool for one job
  (what an admin runs today, one job at a time), for SAMPLES of the groups;
- what the analysis is built on (``restd_plugins.why.matching``): one
  clause of a bench job against a bench slot evaluated with a bound target
  (``ExprTree.eval(scope, target)``) and in a scope whose ``TARGET``
  attribute is the slot's literal view (its assignment included);

with each case's cost per group (the answer's time over the groups it
analysed; condor_q's per job), and checks that every group was analysed
(``groups_left_out`` 0: within the budget). The jobs and ads are taken out
at the end unless ``--keep``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import orjson
from perf import PROJECT, Server, _schedd
from summary import _spread, served, timed, timed_rounds

SLOTS = 1_000
GROUPS = 200
JOBS_PER_GROUP = 5
SAMPLES = 5
BATCH = "restd-bench-idle"
POOL_SH = PROJECT / "pool" / "pool.sh"


def _pool_root() -> Path:
    return Path(os.environ.get("CONDOR_POOL_ROOT", "/var/tmp/condor-restd-pool"))


def _slot_ad(i: int) -> str:
    cpus, memory = 1 + i % 16, 1024 * (1 + i % 32)
    busy, strict = i % 3 == 1, i % 7 == 3
    start = "TARGET.RestdBenchIdle =?= true" + (" && TARGET.RequestCpus <= 2" if strict else "")
    lines = ['MyType = "Machine"', f'Name = "slot1@restd-bench-{i}"', 'MyAddress = "<127.0.0.1:1>"',
             f'Machine = "restd-bench-host{i // 8}"', f"Cpus = {cpus}", f"Memory = {memory}", "Disk = 100000000",
             f'Arch = "{"aarch64" if i % 9 == 0 else "X86_64"}"', 'OpSys = "LINUX"', "HasFileTransfer = true",
             'CondorVersion = "$CondorVersion: 25.14.1 2026-10-16 $"', "RestdBenchSlot = true", f"Start = {start}",
             f'State = "{"Claimed" if busy else "Unclaimed"}"']
    if busy:
        lines.append('RemoteUser = "bob@htcondor.test"')
    if i % 5 == 0:
        lines += ["PartitionableSlot = true", f"TotalSlotCpus = {cpus}", f"TotalSlotMemory = {memory}",
                  "TotalSlotDisk = 100000000",
                  "WithinResourceLimits = TARGET.RequestCpus <= MY.Cpus && TARGET.RequestMemory <= MY.Memory",
                  "Requirements = START && WithinResourceLimits"]
    else:
        lines.append("Requirements = START")
    return "\n".join(lines)


def _advertise(command: str, texts: list[str]) -> None:
    """``condor_advertise -multiple`` of these ads in the pool."""
    (_pool_root() / "tmp" / "bench-idle.ad").write_text("\n\n".join(texts) + "\n")
    subprocess.run([str(POOL_SH), "exec", "condor_advertise", "-multiple", command, "/tmp/bench-idle.ad"],
                   check=True, capture_output=True)


def advertise() -> None:
    print(f"advertising {SLOTS} slot ads", flush=True)
    _advertise("UPDATE_STARTD_AD", [_slot_ad(i) for i in range(SLOTS)])


def withdraw() -> None:
    _advertise("INVALIDATE_STARTD_ADS", [f'MyType = "Query"\nTargetType = "Machine"\n'
                                         f'Requirements = Name == "slot1@restd-bench-{i}"' for i in range(SLOTS)])


def submit() -> list[int]:
    """GROUPS clusters of idle jobs, each its own autocluster."""
    import htcondor2

    print(f"submitting {GROUPS} x {JOBS_PER_GROUP} idle jobs ({BATCH})", flush=True)
    schedd = _schedd()
    clusters = []
    for i in range(GROUPS):
        clusters.append(schedd.submit(htcondor2.Submit({
            "executable": "/bin/sleep", "arguments": "600", "initialdir": str(_pool_root() / "tmp" / "jobs"),
            "batch_name": BATCH, "My.RestdBenchIdle": "true", "request_memory": str(256 + 160 * i),
            "request_disk": "1024",
            "requirements": f"TARGET.RestdBenchSlot =?= true && TARGET.Cpus >= {1 + i % 4}",
        }), count=JOBS_PER_GROUP).cluster())
    deadline = time.monotonic() + 120
    while sum(1 for ad in schedd.query(f'JobBatchName == "{BATCH}"', ["AutoClusterId"]) if "AutoClusterId" in ad) \
            < GROUPS * JOBS_PER_GROUP:
        if time.monotonic() > deadline:
            raise RuntimeError("the jobs were not put in autoclusters within 120 s")
        time.sleep(0.5)
    return clusters


def remove() -> None:
    import htcondor2

    _schedd().act(htcondor2.JobAction.Remove, f'JobBatchName == "{BATCH}"', reason="restd bench ended")


def condor_q(job: str) -> Callable[[], object]:
    return lambda: subprocess.run([str(POOL_SH), "exec", "condor_q", "-better-analyze", job], check=True,
                                  capture_output=True)


def binding_cost() -> None:
    """A clause evaluated with a bound target against in a TARGET-attribute scope (µs each, and the ratio)."""
    import classad2
    import htcondor2

    from restd_plugins.why.matching import copied, literal_view

    slot = htcondor2.Collector().query(htcondor2.AdType.Startd, 'Name == "slot1@restd-bench-1"')[0]
    job = _schedd().query(f'JobBatchName == "{BATCH}"', ["RequestMemory", "Requirements"], limit=1)[0]
    clause = classad2.ExprTree("TARGET.Memory >= RequestMemory")
    view, _ = literal_view(slot, ["Memory"])
    scope = copied(job)

    def in_scope() -> None:
        scope["TARGET"] = view
        clause.eval(scope=scope)

    rounds = 20_000
    bound = min(timed(lambda: [clause.eval(scope=job, target=slot) for _ in range(rounds)]) for _ in range(3))
    nested = min(timed(lambda: [in_scope() for _ in range(rounds)]) for _ in range(3))
    print(f"one clause against one slot: {bound / rounds * 1e6:.2f} us with a bound target, "
          f"{nested / rounds * 1e6:.2f} us in a TARGET-attribute scope (assignment included): "
          f"{bound / nested:.1f}x")


def run(rounds: int, workers: int, clusters: list[int]) -> None:
    log = Path(tempfile.gettempdir())
    bounds = {"restd.gateway.timeout": "20", "restd.why.idle.max_groups": "1000"}  # every group: the budget bounds it
    cold = Server(workers, log / "restd-bench-why-idle-cold.log",
                  overrides={"app:main": {**bounds, "restd.why.idle.slot_cache_seconds": "0"}})
    warm = Server(workers, log / "restd-bench-why-idle-warm.log", overrides={"app:main": bounds})
    try:
        path = "/v1/why/idle/DEFAULT"
        cases: dict[str, Callable[[], object]] = {"why idle, cold": served(cold, path),
                                                   "why idle, warm": served(warm, path)}
        answer = orjson.loads(cases["why idle, cold"]())
        ours = [group for group in answer["groups"] if group["autoclusterid"] is not None and group["idle"]
                == JOBS_PER_GROUP]
        print(f"\n{answer['idle']} idle jobs, {len(answer['groups'])} groups analysed against {answer['slots']} slot "
              f"ads, groups_left_out {answer['groups_left_out']} (target 0: "
              f"{'ok' if answer['groups_left_out'] == 0 else 'MISSED'}); "
              f"causes {dict(Counter(group['cause']['code'] for group in ours))}")
        analysed = len(answer["groups"])
        samples = [f"{cluster}.0" for cluster in clusters[::GROUPS // SAMPLES][:SAMPLES]]
        cases.update({f"condor_q -better-analyze {job}": condor_q(job) for job in samples})
        names = list(cases)
        times = timed_rounds(cases, rounds)
        per_group = statistics.median(times["why idle, cold"]) / analysed
        print(f"{rounds} rounds, {workers} gateway workers, cache off; ms: median [min-max]")
        print(f"{'case':40} {'time':>26} {'ms per group':>13} {'/ why idle cold':>16}")
        for name in names:
            groups = analysed if name.startswith("why idle") else 1
            cost = statistics.median(times[name]) / groups
            print(f"{name:40} {_spread(times[name]):>26} {cost * 1000:13.2f} {cost / per_group:16.1f}")
        worst = max(times["why idle, cold"])
        print(f"\nthe slowest cold answer {worst:.2f} s against the analysis' budget of 8 s "
              f"({'within' if worst < 8 else 'OVER'}) and the request's 20 s")
    finally:
        cold.close()
        warm.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="restd.gateway.workers")
    parser.add_argument("--keep", action="store_true", help="leave the jobs and slot ads afterwards")
    args = parser.parse_args()
    advertise()
    try:
        clusters = submit()
        run(args.rounds, args.workers, clusters)
        binding_cost()
    finally:
        if not args.keep:
            remove()
            withdraw()


if __name__ == "__main__":
    main()
