"""Endpoint plugin ``archive``: an archive of the jobs that leave the
schedds' queues (SQLite or PostgreSQL, ``restd.archive``), history windows
answered from it, and ``/v1/summary/history`` (numbers over time).

``settings``; ``store``: the one schema and query layer; ``lock``: the one
ingester per archive; ``ingester``: the thread that reads the schedds'
histories into it; ``operations``: what runs in the gateway's workers (a
history read, an archived window listed); ``history``: the archive as the
request process sees it (kept in the wiring); ``summary``: the numbers
over time; ``schemas``, ``responses``, ``views``; ``gauges``: its
``/metrics``; ``plugin``: its includeme.
"""
