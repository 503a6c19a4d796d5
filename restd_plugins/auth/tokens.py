"""Reading the caller's token from a request."""
from __future__ import annotations

from pyramid.request import Request

BEARER = "bearer "


def bearer_token(request: Request) -> str | None:
    """The ``Authorization`` header's token, with or without ``Bearer ``
    (``Bearer`` alone is no token)."""
    value = request.headers.get("Authorization", "").strip()
    if value.lower().startswith(BEARER) or value.lower() == BEARER.strip():
        value = value[len(BEARER):].strip()
    return value or None
