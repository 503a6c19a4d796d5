"""The real HTCondor pool the tests run against, and jobs in it.

Started once per test run with the project's ``pool/pool.sh`` (unless
``CONDOR_CONFIG`` already names a pool); jobs are submitted as the pool's
test user alice, whose IDTOKEN the client config holds.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from .waiting import eventually

PROJECT = Path(__file__).resolve().parent.parent
POOL_SH = PROJECT / "pool" / "pool.sh"
SECRET = "s3cret-value-42"


def pool_sh(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([str(POOL_SH), *args], check=check, capture_output=True, text=True)


def start_pool() -> str:
    """Start the project's pool; returns the CONDOR_CONFIG of its clients."""
    started = subprocess.run([str(POOL_SH), "start"], text=True, capture_output=True)
    if started.returncode != 0:
        raise RuntimeError(f"pool/pool.sh start failed:\n{started.stderr}")
    return pool_sh("env").stdout.strip().split("=", 1)[1]


def pool_root() -> Path:
    return Path(os.environ.get("CONDOR_POOL_ROOT", "/var/tmp/condor-restd-pool"))


@dataclass
class SubmittedJobs:
    """Clusters submitted for this test run (ids differ from run to run)."""

    held: int  # 3 held jobs with a secret in their Environment
    idle: int  # 2 idle jobs that never match a slot
    removed: int  # 2 jobs removed at once: they are in the history
    schedd_name: str
    all_clusters: list[int] = field(default_factory=list)


def submit_test_jobs() -> SubmittedJobs:
    import htcondor2

    htcondor2.reload_config()  # CONDOR_CONFIG may have been set after the import
    schedd_ad = htcondor2.Collector().locate(htcondor2.DaemonType.Schedd)
    schedd = htcondor2.Schedd(schedd_ad)
    jobdir = pool_root() / "tmp" / "jobs"
    common = {
        "executable": "/bin/sleep",
        "arguments": "600",
        "initialdir": str(jobdir),
        "request_memory": "16",
        "request_disk": "1024",
        "My.RestdTest": '"yes"',
    }
    held = schedd.submit(
        htcondor2.Submit({**common, "hold": "true", "batch_name": "restd-held",
                          "environment": f"SECRET={SECRET}", "My.Flavor": '"vanilla-$(ProcId)"'}),
        count=3,
    ).cluster()
    idle = schedd.submit(
        htcondor2.Submit({**common, "requirements": "false", "batch_name": "restd-idle"}), count=2
    ).cluster()
    removed = schedd.submit(
        htcondor2.Submit({**common, "hold": "true", "batch_name": "restd-removed"}), count=2
    ).cluster()
    into_history(schedd, removed, 2)
    return SubmittedJobs(held, idle, removed, schedd_ad["Name"], [held, idle, removed])


def into_history(schedd, cluster: int, jobs: int) -> None:
    """Remove the cluster's ``jobs`` jobs and wait until the history has them."""
    import htcondor2

    schedd.act(htcondor2.JobAction.Remove, f"ClusterId == {cluster}", reason="restd test: fill history")
    eventually(lambda: len(schedd.history(f"ClusterId == {cluster}", ["ProcId"], match=jobs)) == jobs,
               what="the removed jobs reaching the history", interval=0.2)


def remove_test_jobs(jobs: SubmittedJobs) -> None:
    """Leave the queue as the run found it (the jobs go to the history)."""
    import htcondor2

    clusters = " || ".join(f"ClusterId == {cluster}" for cluster in jobs.all_clusters)
    try:
        htcondor2.Schedd().act(htcondor2.JobAction.Remove, clusters, reason="restd test run ended")
    except htcondor2.HTCondorException as exc:  # the pool is down: nothing is left to tidy
        print(f"could not remove the test jobs: {exc}")


#: Two jobs of one cluster differ only in the secret of their (hidden)
#: Environment: whatever a caller asks, their answers must not differ.
LEAKY_SECRETS = ("SECRET=aaa-hunter2", "SECRET=zzz-swordfish")

#: Attributes of the leaky jobs whose values read Environment, in as many
#: ways as a job's author might: directly, in scopes, chains, lists,
#: records, functions, and a name computed at run time. None of them holds
#: a secret's words, so that an answer's bytes can be searched for those.
LEAKS = {
    "LeakSize": "size(Environment) > 0",
    "LeakRegexp": 'regexp("^SECRET=a", Environment)',
    "LeakMy": 'regexp("aaa", MY.Environment)',
    "LeakSubstr": "substr(Environment, 7, 3)",
    "LeakCopy": "Environment",
    "LeakUpper": "toUpper(Environment)",
    "LeakChain": "LeakLength + 1",
    "LeakLength": "size(Environment)",
    "LeakList": "{ Environment, 1 }",
    "LeakRecord": "[ e = Environment; n = 2 ]",
    "LeakSelect": "LeakRecord.e",
    "LeakIf": 'ifThenElse(regexp("a", Environment), 1, 2)',
    "LeakCompare": 'Environment == strcat("SECRET=aaa-", "hunt", "er2")',
    "LeakEval": 'eval("Environ" + "ment")',
    "LeakStrcat": 'strcat(Environment, "-x")',
}


#: A third party's hidden attribute (RESTD_HIDE_JOB_ATTRS="Environment
#: PluginSecret", spelled as a site would), holding the same secret, and
#: an attribute that reads it.
PLUGIN_SECRET_LEAK = {"PluginSecret": '"$(secret)"', "Leak": "PluginSecret"}


def submit_leaky_jobs(**more: str) -> int:
    """One held cluster of two jobs, one per secret, with the LEAKS (and
    ``more`` attributes: name -> expression, ``$(secret)`` the job's secret)."""
    import htcondor2

    description = htcondor2.Submit({
        "executable": "/bin/sleep", "arguments": "600", "initialdir": str(pool_root() / "tmp" / "jobs"),
        "hold": "true", "batch_name": "restd-leaky", "environment": "$(secret)", "My.RestdTest": '"yes"',
        **{f"My.{name}": expression for name, expression in {**LEAKS, **more}.items()},
    })
    schedd = htcondor2.Schedd()
    return schedd.submit(description, itemdata=iter([{"secret": secret} for secret in LEAKY_SECRETS])).cluster()


def submit_idle_held(batch: str) -> int:
    """One held job of the pool's user alice."""
    import htcondor2

    return htcondor2.Schedd().submit(htcondor2.Submit({
        "executable": "/bin/sleep", "arguments": "600", "initialdir": str(pool_root() / "tmp" / "jobs"),
        "hold": "true", "batch_name": batch, "My.RestdTest": '"yes"',
    })).cluster()


#: The reasons ``submit_held_for_reasons``' jobs are held for: HoldReasonCode by name.
USER_REQUEST, JOB_POLICY, TRANSFER_INPUT_ERROR = 1, 3, 13


def submit_held_for_reasons() -> dict[int, int]:
    """Three clusters of alice's held for three reasons, by their
    HoldReasonCode, once they are: held by their user (two jobs), an input
    file that does not exist, a policy expression (on_exit_hold: the job
    ran, and its policy held it)."""
    import htcondor2

    schedd = htcondor2.Schedd()
    common = {"initialdir": str(pool_root() / "tmp" / "jobs"), "My.RestdTest": '"yes"', "request_memory": "16",
              "request_disk": "1024"}
    by_user = schedd.submit(htcondor2.Submit({**common, "executable": "/bin/sleep", "arguments": "600",
                                              "requirements": "false", "batch_name": "restd-why-user"}),
                            count=2).cluster()
    pool_sh("exec", "-u", "alice", "condor_hold", "-reason", "restd test: held by its user", str(by_user))
    no_input = schedd.submit(htcondor2.Submit({
        **common, "executable": "/bin/true", "should_transfer_files": "YES", "when_to_transfer_output": "ON_EXIT",
        "transfer_input_files": "/nonexistent/restd-why-input", "batch_name": "restd-why-input"})).cluster()
    by_policy = schedd.submit(htcondor2.Submit({
        **common, "executable": "/bin/true", "on_exit_hold": "true", "on_exit_hold_reason": '"restd test policy"',
        "on_exit_hold_subcode": "42", "batch_name": "restd-why-policy"})).cluster()
    clusters = {USER_REQUEST: by_user, TRANSFER_INPUT_ERROR: no_input, JOB_POLICY: by_policy}
    for code, cluster in clusters.items():
        eventually(lambda code=code, cluster=cluster: {ad.get("HoldReasonCode") for ad in schedd.query(
            f"ClusterId == {cluster}", ["HoldReasonCode"])} == {code}, what=f"cluster {cluster} held", interval=0.5)
    return clusters


def set_raw_attribute(job: str, name: str, value: bytes) -> None:
    """Set a job's attribute to these very bytes, as its author can
    (``condor_qedit``; the bindings take only text)."""
    subprocess.run([str(POOL_SH), "exec", "-u", "alice", "condor_qedit", job, name, value],
                   check=True, capture_output=True)


def daemon_pids(comm: str) -> list[int]:
    """Processes of the pool's chroot with that command name (as the
    kernel keeps it: its first 15 characters)."""
    root = str(pool_root())
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and os.readlink(proc / "root") == root and (proc / "comm").read_text().strip() == comm[:15]:
                pids.append(int(proc.name))
        except OSError:
            continue  # gone, or not ours to read
    return pids


@contextmanager
def frozen(comm: str, only: Callable[[int], bool] = lambda pid: True) -> Iterator[None]:
    """The pool's ``comm`` processes (those ``only`` picks) stopped (SIGSTOP) within."""
    pids = [pid for pid in daemon_pids(comm) if only(pid)]
    assert pids, f"no {comm} running in {pool_root()}"
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            with suppress(ProcessLookupError):  # the shared pool was restarted meanwhile
                os.kill(pid, signal.SIGCONT)


def restore_pool(tries: int = 5) -> None:
    """Start the pool (or wait until it is ready), trying again while another
    engineer's test may be stopping or starting the shared pool right now."""
    for _ in range(tries - 1):
        if pool_sh("start", check=False).returncode == 0:
            return
        time.sleep(3)
    pool_sh("start")


@contextmanager
def pool_stopped() -> Iterator[None]:
    """The pool stopped within, started again after."""
    pool_sh("stop")
    try:
        yield
    finally:
        restore_pool()


def daemon_cpu_seconds(comm: str) -> float:
    """CPU seconds (user and system) the pool's daemons of that command name
    have used: their own, their ended children's, and their running
    children's (a schedd forks to answer queries)."""
    ticks = sum(_cpu_ticks(pid, with_ended_children=True) + sum(_cpu_ticks(child) for child in children(pid))
                for pid in daemon_pids(comm))
    return ticks / os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int, with_ended_children: bool = False) -> int:
    """utime + stime (and cutime + cstime) of proc(5)'s stat; 0 for a process gone meanwhile."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return sum(int(value) for value in fields[11:15 if with_ended_children else 13])  # fields[0] is field 3


def children(pid: int) -> list[int]:
    """The process's children, of every thread of it."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


#: What ``advertised`` sends for each kind of ad: its MyType, and the
#: condor_advertise commands that add and take out such ads.
AD_KINDS = {"startd": ("Machine", "UPDATE_STARTD_AD", "INVALIDATE_STARTD_ADS"),
            "schedd": ("Scheduler", "UPDATE_SCHEDD_AD", "INVALIDATE_SCHEDD_ADS")}


@contextmanager
def advertised(kind: str, ads: dict[str, str]) -> Iterator[None]:
    """Daemon ads of ``kind`` (their Name -> the rest of their ClassAd text)
    in the collector within, as any host the collector lets advertise such a
    daemon can send them (``condor_advertise``); taken out afterwards."""
    my_type, update, invalidate = AD_KINDS[kind]
    ad_file = pool_root() / "tmp" / "advertised.ad"

    def advertise(command: str, texts: list[str]) -> None:
        ad_file.write_text("\n\n".join(texts) + "\n")
        pool_sh("exec", "condor_advertise", "-multiple", command, "/tmp/advertised.ad")

    advertise(update, [f'MyType = "{my_type}"\nName = "{name}"\n{text}' for name, text in ads.items()])
    try:
        yield
    finally:
        advertise(invalidate, [f'MyType = "Query"\nTargetType = "{my_type}"\nRequirements = Name == "{name}"'
                               for name in ads])


def advertised_slots(ads: dict[str, str]):
    """Slot ads (``advertised``) with an address of nowhere."""
    return advertised("startd", {name: f'MyAddress = "<127.0.0.1:1>"\n{text}' for name, text in ads.items()})


@contextmanager
def reconfigured(name: str, text: str) -> Iterator[None]:
    """The pool's daemons reconfigured (``condor_reconfig``) with ``text`` as
    the config file ``name`` of its config.d within; without it afterwards."""
    path = pool_root() / "etc" / "condor" / "config.d" / name
    path.write_text(text)
    try:
        pool_sh("exec", "condor_reconfig")
        yield
    finally:
        path.unlink(missing_ok=True)
        pool_sh("exec", "condor_reconfig")


#: Slot ads of different shapes for the idle analysis' tests (static and
#: partitionable; sizes, Arch, versions, file transfer, claimed or not, a
#: stricter START for some). Only jobs of ``submit_idle`` (RestdWhyTest)
#: are accepted by them, so that no other job of the suite is ever matched
#: to a slot that is nowhere.
WHY_SLOT_ADS = 120


def why_slot_ad(i: int) -> str:
    """The ClassAd text of the ``i``-th of WHY_SLOT_ADS."""
    partitionable = i % 5 == 0
    cpus, memory, disk = 1 + i % 8, 512 * (1 + i % 24), 1_000_000 * (1 + i % 3)
    busy, free, strict = i % 3 == 1, i % 3 == 0, i % 4 == 3
    start = "TARGET.RestdWhyTest =?= true" + (" && TARGET.RequestCpus <= 2" if strict else "")
    lines = [
        f'Machine = "restd-why-host{i // 4}"', f"SlotID = {i % 4 + 1}", f"Cpus = {cpus}", f"Memory = {memory}",
        f"Disk = {disk}", f'Arch = "{"aarch64" if i % 7 == 0 else "X86_64"}"', 'OpSys = "LINUX"',
        f"HasFileTransfer = {'false' if i % 11 == 0 else 'true'}", 'FileSystemDomain = "restd-why.test"',
        f'CondorVersion = "$CondorVersion: {"23.0.0" if i % 13 == 0 else "25.14.1"} 2026-10-16 $"',
        "RestdWhySlot = true", f"RestdWhyBusy = {str(busy).lower()}", f"RestdWhyFree = {str(free).lower()}",
        f"RestdWhyStrict = {str(strict).lower()}", f"Start = {start}",
        f'State = "{"Claimed" if busy else "Unclaimed"}"', f'Activity = "{"Busy" if busy else "Idle"}"',
    ]
    if busy:
        lines.append('RemoteUser = "bob@htcondor.test"')
    if partitionable:
        lines += ['SlotType = "Partitionable"', "PartitionableSlot = true", 'MachineResources = "Cpus Memory Disk"',
                  f"TotalSlotCpus = {cpus}", f"TotalSlotMemory = {memory}", f"TotalSlotDisk = {disk}",
                  "WithinResourceLimits = MY.Cpus > 0 && TARGET.RequestCpus <= MY.Cpus && MY.Memory > 0 && "
                  "TARGET.RequestMemory <= MY.Memory && MY.Disk > 0 && TARGET.RequestDisk <= MY.Disk",
                  "Requirements = START && WithinResourceLimits"]
    else:
        lines += ['SlotType = "Static"', "Requirements = START"]
    return "\n".join(lines)


#: Idle jobs for the idle analysis' tests, by what they show: each its own autocluster.
IDLE_JOBS = {
    "missing_attribute": {"requirements": "TARGET.RestdWhyNoSuchAttribute == 1 && TARGET.RestdWhySlot =?= true"},
    "too_much_memory": {"requirements": "TARGET.RestdWhySlot =?= true", "request_memory": "10000000"},
    "busy_slots_only": {"requirements": "TARGET.RestdWhyBusy =?= true"},
    "refused_by_slots": {"requirements": "TARGET.RestdWhyStrict =?= true", "request_cpus": "4"},
    "will_run": {"requirements": "TARGET.RestdWhyFree =?= true && TARGET.Memory >= 2048"},
}


def submit_idle(description: dict[str, str], count: int = 1) -> int:
    """A cluster of ``count`` idle jobs of ``description`` that only WHY_SLOT_ADS' slots accept."""
    import htcondor2

    return htcondor2.Schedd().submit(htcondor2.Submit({
        "executable": "/bin/sleep", "arguments": "600", "initialdir": str(pool_root() / "tmp" / "jobs"),
        "request_memory": "16", "request_disk": "1024", "My.RestdTest": '"yes"', "My.RestdWhyTest": "true",
        **description}), count=count).cluster()


def autocluster(cluster: int) -> int:
    """The job's AutoClusterId, once the schedd has given it one."""
    import htcondor2

    return eventually(lambda: htcondor2.Schedd().query(f"ClusterId == {cluster}", ["AutoClusterId"])[0].get(
        "AutoClusterId"), what=f"cluster {cluster} in an autocluster", interval=0.5)
