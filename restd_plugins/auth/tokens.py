"""Reading the caller's token from a request."""
from __future__ import annotations

from pyramid.request import Request

BEARER = "bearer "


def bearer_token(request: Request) -> str | None:
    """The ``Authorization`` header's token, with or without ``Bearer ``."""
    value = request.headers.get("Authorization", "").strip()
    if value.lower().startswith(BEARER):
        value = value[len(BEARER):].strip()
    return value or None
