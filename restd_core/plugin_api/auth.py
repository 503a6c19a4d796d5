"""The plugin toolkit's face for auth plugins (``restd.auth``): who a
caller is (``Identity``), the errors a plugin's ``identify`` raises, its
settings, and the shared store and single flight a plugin that calls an
outside service uses to remember its answers and ask once per token."""
from __future__ import annotations

from restd_core.assembly.settings import parse, setting
from restd_core.pipeline.security import AuthUnavailable, Identity, InvalidCredentials, TooManyChecks
from restd_core.plugin_api import VERSION
from restd_core.reuse.single_flight import SingleFlight
from restd_core.shared import Codec, Store, Table
from restd_core.shared.memory import MemoryStore

__all__ = [
    "VERSION", "Identity", "InvalidCredentials", "AuthUnavailable", "TooManyChecks", "setting", "parse",
    "SingleFlight", "Store", "Table", "Codec", "MemoryStore",
]
