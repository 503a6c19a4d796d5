"""Endpoint plugin ``status``: /v1/status and /v1/grouped_status (like
condor_status).

``plugin``: its services and operation; ``operations``: the collector
query, run in the gateway's workers; ``views``; ``schemas``; ``responses``.
"""
