"""A gateway worker ends quietly on SIGTERM (restd_core.gateway.worker.loop):
its server's stop, and Linux's when its server dies, may both reach it."""
from __future__ import annotations

import os
import signal

from .waiting import wait_until
from .wsgi_servers import Process


def test_a_worker_ends_quietly_on_sigterm_whenever_more_come(app_with, capfd):
    app = app_with(**{"restd.gateway.workers": "2"})
    app.get("/v1/config/condor_version")
    app.get("/v1/jobs/DEFAULT?limit=1")
    workers = [Process.of(worker.process.pid) for worker in app.app.registry.restd.gateway._pool._workers]
    for worker in workers:
        while worker.alive():  # SIGTERMs until it is gone, some while it ends
            try:
                os.kill(worker.pid, signal.SIGTERM)
            except ProcessLookupError:
                break
    assert wait_until(lambda: not any(worker.alive() for worker in workers))
    assert "Exception ignored" not in capfd.readouterr().err
