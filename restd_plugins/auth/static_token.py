"""Auth plugin ``static-token``: bearer tokens listed in a file.

The file (``restd.static_token.file``) holds one token per line as the hex
SHA-256 of the token, optionally followed by a name for the logs; ``#``
starts a comment. The tokens themselves are never stored. Every listed
token may read::

    # printf %s "$TOKEN" | sha256sum
    9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 dashboard
"""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyramid.request import Request

from restd_core.plugin_api.auth import Identity, InvalidCredentials, parse, setting

from .tokens import bearer_token

SETTING = "restd.static_token.file"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def read_token_file(path: Path) -> list[tuple[str, str]]:
    """``(sha256 hex, name)`` of each token in the file."""
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split("#", 1)[0].split(None, 1)
        if not fields:
            continue
        digest = fields[0].lower()
        if not _SHA256_HEX.fullmatch(digest):
            raise ValueError(f"{path}:{number}: not a hex SHA-256 of a token")
        entries.append((digest, fields[1].strip() if len(fields) > 1 else f"token-{number}"))
    return entries


@dataclass(frozen=True)
class StaticTokenSettings:
    """The static-token plugin's settings."""

    file: str | None = setting(
        SETTING, None, "the file of token hashes: one hex SHA-256 of a token per line, then an optional name")


class StaticTokenAuth:
    #: For /openapi.json.
    openapi_security_schemes = {"bearerToken": {"type": "http", "scheme": "bearer"}}
    credential_headers = ("Authorization",)

    def __init__(self, settings: dict[str, Any]) -> None:
        path = parse(StaticTokenSettings, settings).file
        if not path:
            raise ValueError(f"{SETTING} must name the file of token hashes")
        self.tokens = read_token_file(Path(path))

    def identity(self, request: Request) -> Identity | None:
        token = bearer_token(request)
        if token is None:
            return None
        digest = hashlib.sha256(token.encode()).hexdigest()
        # Compare against every entry, in constant time each.
        matches = [name for known, name in self.tokens if hmac.compare_digest(known, digest)]
        if not matches:
            raise InvalidCredentials("the token is not valid")
        return Identity(matches[0])

    def permits(self, request: Request, identity: Identity, permission: str) -> bool:
        return permission == "read"
