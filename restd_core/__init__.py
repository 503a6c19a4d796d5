"""condor-restd: a read-only REST API for HTCondor pools.

``app`` makes the Pyramid app (PasteDeploy's ``main``); ``gateway`` runs
every HTCondor call in worker processes (``gateway.worker`` is what runs
there). This package itself imports nothing, so that a worker imports only
what it runs.
"""
