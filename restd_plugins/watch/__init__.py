"""Endpoint plugin ``watch``: /v1/watch/jobs/{schedd} and /v1/watch/status,
a query's changes as Server-Sent Events.

``plugin``: its services and the hub; ``settings``: its table and the cap
on watchers; ``query``: what a watched query asks (the jobs and status
plugins' own operations) and how its items are named; ``diff``: successive
answers as events; ``poller``: one shared poller per distinct query, its
replay buffer; ``hub``: the pollers and the caps; ``stream``: one
watcher's response; ``views``; ``schemas``; ``responses``.
"""
