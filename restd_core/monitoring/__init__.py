"""The core's own routes for operators: ``/``, ``/healthz``, ``/readyz``
and ``/metrics``."""
