"""Entry of a gateway worker process: ``python -m restd_core.gateway FD OPS_MODULE OPTIONS_JSON``."""
import sys
from multiprocessing.connection import Connection

import orjson

from .workers import serve

serve(Connection(int(sys.argv[1])), sys.argv[2], orjson.loads(sys.argv[3]))
