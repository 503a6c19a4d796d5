"""An operation that injects the faults a real pool cannot produce on
demand: a call that never ends, a worker that dies. Used only by tests of
the gateway's mechanism (``faulty_plugin``); every endpoint is also tested
against the real pool."""
from __future__ import annotations

import os
import sys
import time


def faulty(what: str) -> str | int:
    """``slow-N`` sleeps N s, ``hog-N`` holds N bytes, ``crash`` kills the
    worker, ``pid`` answers the worker's process id, anything else ``"ok"``."""
    if what.startswith("slow-"):
        time.sleep(float(what.removeprefix("slow-")))
    elif what.startswith("hog-"):
        bytearray(int(what.removeprefix("hog-")))
    elif what == "crash":
        os._exit(3)
    elif what == "pid":
        return os.getpid()
    return "ok"


def imported(names: list[str]) -> dict[str, bool]:
    """Which of these modules the worker has imported."""
    return {name: name in sys.modules for name in names}


def flaky(fails: int) -> int:
    """A daemon call made through ``ask`` that fails (an HTCondor error)
    its first ``fails`` times: answers how many times it was made."""
    import htcondor2

    from restd_core.plugin_api.worker import ask

    made = []

    def call(_) -> int:
        made.append(True)
        if len(made) <= fails:
            raise htcondor2.HTCondorException("Failed communication with startd")
        return len(made)

    return ask("startd", call)
