"""A stand-in OpenID Connect / SciTokens issuer on 127.0.0.1, over real HTTP, for the tests.

It serves ``/.well-known/openid-configuration`` (or, with ``scitokens``,
only ``/.well-known/oauth-authorization-server``) and ``/jwks.json`` with
the public halves of its ``keys`` (kid -> private key), and signs tokens
with them (``token``). It counts the fetches per path (``fetches``);
``garbage`` makes it answer nonsense; ``stop()`` closes it (an issuer down).
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

AUDIENCE = "https://restd.example"
JWKS_PATH = "/jwks.json"
OIDC_DISCOVERY = "/.well-known/openid-configuration"
SCITOKENS_DISCOVERY = "/.well-known/oauth-authorization-server"


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeIssuer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, scitokens: bool = False) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.scitokens = scitokens
        self.keys: dict[str, Any] = {"rsa-1": new_rsa_key(), "ec-1": ec.generate_private_key(ec.SECP256R1())}
        self.fetches: Counter[str] = Counter()
        self.garbage = False
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def rotate(self) -> str:
        """A new key replaces every old one; its kid."""
        kid = f"rsa-{uuid.uuid4().hex[:8]}"
        self.keys = {kid: new_rsa_key()}
        return kid

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.keys.items():
            algorithm = jwt.algorithms.RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else jwt.algorithms.ECAlgorithm
            keys.append({**algorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "use": "sig"})
        return {"keys": keys}

    def claims(self, **claims: Any) -> dict[str, Any]:
        now = int(time.time())
        return {"iss": self.url, "aud": AUDIENCE, "sub": "alice", "iat": now, "nbf": now, "exp": now + 300,
                "scope": "condor:/READ", **claims}

    def token(self, kid: str | None = None, headers: dict[str, Any] | None = None, **claims: Any) -> str:
        """A token signed with the key ``kid`` (the first key by default),
        of ``claims`` over the defaults (a value None drops the claim)."""
        kid = kid or next(iter(self.keys))
        key = self.keys[kid]
        alg = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
        payload = {name: value for name, value in self.claims(**claims).items() if value is not None}
        return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid, **(headers or {})})


class _Handler(BaseHTTPRequestHandler):
    server: FakeIssuer

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        server = self.server
        server.fetches[self.path] += 1
        discovery = SCITOKENS_DISCOVERY if server.scitokens else OIDC_DISCOVERY
        if server.garbage:
            self._send(200, b"<html>maintenance</html>")
        elif self.path == discovery:
            self._send(200, json.dumps({"issuer": server.url, "jwks_uri": server.url + JWKS_PATH}).encode())
        elif self.path == JWKS_PATH:
            self._send(200, json.dumps(server.jwks()).encode())
        else:
            self._send(404, b"{}")

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
