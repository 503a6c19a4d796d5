"""The app served over real HTTP, for clients that are not WebTest: a
browser, schemathesis."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from pyramid.router import Router

from restd_core.assembly.waitress_server import create_server


@contextmanager
def serve(app: Router, threads: int = 4, **settings: int) -> Iterator[str]:
    """Serve ``app`` with waitress (``threads``, and more of its ``settings``)
    as ``egg:condor-restd#waitress`` does, on a free localhost port, in a
    thread; yields its base URL. The socket listens from the start: no waiting.
    As the ini files, it reads a connection while its request runs (it sees
    a client that went: ``restd_core.pipeline.disconnect``) unless ``settings`` say otherwise."""
    server = create_server(app, host="127.0.0.1", port=0, threads=threads,
                           **{"channel_request_lookahead": 1, **settings})
    stopping = threading.Event()

    def run() -> None:
        try:
            server.run()
        except OSError:  # select() on the sockets closed below
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=run, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        # As webtest's StopableWSGIServer: close the listener and every
        # connection, which ends the loop, then the worker threads.
        stopping.set()
        while server._map:
            for channel in list(server._map.values()):
                channel.handle_close()
        server.task_dispatcher.shutdown()
        thread.join(timeout=5)
