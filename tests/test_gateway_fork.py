"""The gateway across a fork of a process that has used it (a server that
forks after answering, code that forks): the child calls through worker
processes of its own, and the parent's stay its own, untouched. Uses the
fake operation (``tests.fakes.faulty_plugin``: ``/faulty/pid`` answers the
worker's process id)."""
from __future__ import annotations

import json
import os
import select
import signal

import webtest

from restd_core.assembly.app import main

from .test_gateway_faults import FAULTY, worker_pid
from .wsgi_servers import PATIENCE, Process, wait_until


def in_a_forked_child(app: webtest.TestApp) -> dict:
    """What the child says of its first call through ``app`` (it exits then, without clean-up)."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            worker = worker_pid(app)
            said = {"worker": worker, "its_parent": Process.of(worker).parent, "child": os.getpid()}
        finally:
            os.write(write, json.dumps(said).encode())
            os._exit(0)
    os.close(write)
    answered = select.select([read], [], [], PATIENCE)[0]
    try:
        assert answered, "the forked child did not answer"
        return json.loads(os.read(read, 4096))
    finally:
        os.close(read)
        if not answered:
            os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


def test_a_forked_child_calls_through_workers_of_its_own_and_leaves_the_parents_alone():
    app = webtest.TestApp(main({}, **{**FAULTY, "restd.gateway.workers": "1"}))
    try:
        parents_worker = worker_pid(app)
        child = in_a_forked_child(app)
        assert child["worker"] != parents_worker
        assert child["its_parent"] == child["child"]
        assert worker_pid(app) == parents_worker
        assert app.app.registry.restd.gateway.worker_replacements == 0
        its_worker = Process.of(child["worker"])
        assert its_worker is None or wait_until(lambda: not its_worker.alive()), "the child's worker outlived it"
    finally:
        app.app.registry.restd.gateway.close()
