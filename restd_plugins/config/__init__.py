"""Endpoint plugin ``config``: /v1/config (like condor_config_val).

``plugin``: its services and operations; ``operations``: reading the
server's or a daemon's configuration, in the gateway's workers; ``views``;
``schemas``; ``responses``.
"""
