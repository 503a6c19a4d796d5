"""Entry of a gateway worker process: ``python -m restd_core.gateway FD OPS_MODULE``
(its options then come over the socket FD)."""
import sys
from multiprocessing.connection import Connection

from .workers import serve

serve(Connection(int(sys.argv[1])), sys.argv[2])
