"""Endpoint plugin ``jobs``: /v1/jobs, /v1/history, /v1/grouped_jobs and
/v1/grouped_history (like condor_q and condor_history).

``plugin``: its services and operations (``includeme``); ``operations``:
the jobs query, run in the gateway's workers; ``views``; ``schemas``: the
query and path parameters; ``responses``: the answers' JSON Schemas.
"""
