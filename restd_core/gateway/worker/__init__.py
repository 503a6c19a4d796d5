"""What runs in a gateway worker process, and nothing else.

The request process never imports this package: it holds the only code
that imports HTCondor's bindings, which hold the GIL for the whole of a
daemon query. ``loop`` is the worker's life; ``condor`` its HTCondor
session and the helpers every operation shares (daemons, one retry);
``expressions`` checks callers' constraints (hidden attributes, what the
daemons are sent); ``classads`` is the one output filter, ClassAd ->
JSON; ``json_keys`` and ``encoding`` encode answers; ``core`` holds the
core's own operations. Plugins' operations (``restd_core.gateway.worker.jobs``, ``restd_plugins.status.operations``,
a third party's) run here too, imported by ``loop`` from the registry.
"""
