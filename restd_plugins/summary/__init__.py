"""Endpoint plugin ``summary``: numbers rather than ads. Job counts of a
schedd (/v1/summary/jobs), slot utilization (/v1/summary/status), the
negotiator's user priorities (/v1/summary/priorities), and pool gauges in
/metrics.

``plugin``: its services, operations and gauges (``includeme``);
``operations``: the HTCondor calls, run in the gateway's workers;
``counting``: how counts are keyed, totalled and summed (pure, shared by
both sides); ``views``; ``schemas``: query and path parameters;
``responses``: the answers' JSON Schemas; ``gauges``: the Prometheus
collector over a cached snapshot of the pool.
"""
