"""A local OpenID Connect provider for the single sign-on browser test, on loopback, in a thread.

Discovery document, an authorize endpoint that approves whoever the test put in `identity` at once, a
token endpoint (client secret, PKCE S256, single-use codes) issuing RS256 ID tokens signed with joserfc
(Authlib's JOSE library), and the JWKS. Test code only: the product never starts a provider.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "studio"
CLIENT_SECRET = "studio-test-secret"  # noqa: S105 - a test provider's client


class Provider:
    """State the test reads and changes: who signs in next, and what the provider handed out."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-1", "use": "sig"})
        self.identity: dict[str, Any] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.issued: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "profile", "email"],
        }

    def authorize(self, query: dict[str, str]) -> str:
        """Approve the configured identity at once; the redirect back to the app with a code."""
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            raise ValueError("unknown client or response type")
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = {**query, "identity": dict(self.identity)}
        return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"

    def token(self, form: dict[str, str], authorization: str | None) -> dict[str, Any]:
        client_id, secret = _client_credentials(form, authorization)
        if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
            raise PermissionError("invalid_client")
        with self.lock:
            grant = self.codes.pop(form.get("code", ""), None)  # single use
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
            raise PermissionError("invalid_grant")
        if grant.get("code_challenge") and _s256(form.get("code_verifier", "")) != grant["code_challenge"]:
            raise PermissionError("invalid_grant")
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
            "nonce": grant.get("nonce"),
            **grant["identity"],
        }
        self.issued.append(claims)
        header = {"alg": "RS256", "kid": "test-1"}
        return {
            "access_token": secrets.token_urlsafe(24),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": jwt.encode(header, claims, self.key),
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _client_credentials(form: dict[str, str], authorization: str | None) -> tuple[str, str]:
    if authorization and authorization.startswith("Basic "):
        client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        return client_id, secret
    return form.get("client_id", ""), form.get("client_secret", "")


class _Handler(BaseHTTPRequestHandler):
    """The endpoints; `provider` is set on a subclass per running provider."""

    provider: Provider

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urlparse(self.path)
        documents = {"/.well-known/openid-configuration": self.provider.metadata, "/jwks": self.provider.jwks}
        if url.path == "/authorize":
            self._authorize({k: v[0] for k, v in parse_qs(url.query).items()})
        elif url.path in documents:
            self._json(200, documents[url.path]())
        else:
            self._json(404, {"error": "not_found"})

    def _authorize(self, query: dict[str, str]) -> None:
        try:
            location = self.provider.authorize(query)
        except (KeyError, ValueError):
            self._json(400, {"error": "invalid_request"})
            return
        self.send_response(302)
        self.send_header("Location", location)
        self.end_headers()

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if urlparse(self.path).path != "/token":
            self._json(404, {"error": "not_found"})
            return
        try:
            self._json(200, self.provider.token(form, self.headers.get("Authorization")))
        except PermissionError as error:
            self._json(400, {"error": str(error)})

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test output
        pass


@contextmanager
def running_provider() -> Iterator[Provider]:
    """A provider on a free loopback port, for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    provider = Provider(f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = type("Handler", (_Handler,), {"provider": provider})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
