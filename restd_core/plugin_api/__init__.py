"""The plugin toolkit: what an endpoint plugin imports, and nothing else.

Two modules, one per process, so that each imports only what runs there:

- ``restd_core.plugin_api.web``: the request process (views, schemas,
  ``includeme``): services, shared colander fields, the gateway's
  listings, responses, the hidden-key check. Never imports HTCondor.
- ``restd_core.plugin_api.worker``: the gateway's worker processes (a
  plugin's operations): ``ask`` (the one way to reach a daemon) and the
  job and machine ad queries that take a caller's constraint and
  projection and answer only what the one output filter lets through.

``VERSION`` says what is stable: every name in either module's ``__all__``
keeps its signature and meaning within a major version; a new name or
keyword-only parameter raises the minor one. Anything imported from
elsewhere in ``restd_core`` is internal and may change in any release.
docs/plugins.md is the guide.
"""
from __future__ import annotations

__all__ = ["VERSION"]

#: (major, minor) of the toolkit's stable face.
VERSION = (1, 1)
