"""The dashboard's files, read once at start-up.

The set of files is fixed (``CONTENT_TYPES``): a request names one of them
or gets a 404, so no path a caller sends reaches the file system. The
files are served under a version made from their contents
(``/ui/<version>/app.js``): the page that names them is revalidated on
every load (``no-cache``, its ETag), the files themselves are immutable
for a year, and a new release is a new version, never a stale mix.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.resources import files

PAGE = "index.html"

#: Every file of ``static/`` that is served, with its exact Content-Type.
CONTENT_TYPES = {
    "app.js": "text/javascript; charset=utf-8",
    "api.js": "text/javascript; charset=utf-8",
    "stream.js": "text/javascript; charset=utf-8",
    "charts.js": "text/javascript; charset=utf-8",
    "views.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}

#: The placeholder in ``index.html`` where the version goes.
VERSION_MARK = "{version}"


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


@dataclass(frozen=True)
class Assets:
    version: str
    page: Asset
    files: dict[str, Asset]


def _etag(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def load() -> Assets:
    """The files and the page that names them under their version."""
    static = files("restd_plugins.ui") / "static"
    bodies = {name: (static / name).read_bytes() for name in CONTENT_TYPES}
    digest = hashlib.sha256()
    for name in sorted(bodies):
        digest.update(name.encode() + b"\0" + bodies[name] + b"\0")
    version = digest.hexdigest()[:16]
    page = (static / PAGE).read_text(encoding="utf-8").replace(VERSION_MARK, version).encode()
    return Assets(
        version=version,
        page=Asset(page, "text/html; charset=utf-8", _etag(page)),
        files={name: Asset(body, CONTENT_TYPES[name], _etag(body)) for name, body in bodies.items()},
    )
