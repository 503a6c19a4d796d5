"""A gateway worker process: ``python -m restd_core.gateway.worker FD``
(its options then come over the socket FD); or ``... --check``, which reads
a table of operations on stdin and prints what cannot be loaded (JSON)."""
import sys
from multiprocessing.connection import Connection

import orjson

from restd_core.gateway.worker.loop import check, serve

if sys.argv[1] == "--check":
    sys.stdout.buffer.write(orjson.dumps(check(orjson.loads(sys.stdin.buffer.read()))))
else:
    serve(Connection(int(sys.argv[1])))
