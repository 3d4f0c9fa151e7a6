"""A small OpenID Connect provider on loopback whose answers the test writes.

oidc-provider-mock signs every ID token correctly; to see what the portal does with a token
signed by the wrong key, from the wrong issuer, for another site, expired or for another sign-in,
the test needs a provider it controls. This one serves discovery, its published keys (JWKS) and a
token endpoint that answers a code with whatever the test prepared for it. The authorization step
is left out: the test reads the state and nonce from the portal's redirect and comes back to the
callback itself, as the provider would send the browser.
"""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from secrets import token_urlsafe
from typing import Any
from urllib.parse import parse_qs

from joserfc import jws
from joserfc.jwk import KeySet, RSAKey

CLIENT_ID = "roundtable"
# Keys are slow to make (~0.1 s each): made once, shared by every issuer.
KEYS = {kid: RSAKey.generate_key(2048, parameters={"kid": kid}) for kid in ("first", "second", "stranger")}
OMIT = object()


class Issuer:
    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.issuer = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.published = [KEYS["first"]]
        self.algorithms = ["RS256"]  # what discovery lists in id_token_signing_alg_values_supported
        # path -> (status, content type, body) replacing what the provider would answer there
        self.broken: dict[str, tuple[int, str, bytes]] = {}
        self._answers: dict[str, tuple[int, str, bytes]] = {}
        self._thread: threading.Thread | None = None

    @property
    def discovery_url(self) -> str:
        return self.url + "/.well-known/openid-configuration"

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": self.url + "/authorize",
            "token_endpoint": self.url + "/token",
            "jwks_uri": self.url + "/jwks",
            "userinfo_endpoint": self.url + "/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": self.algorithms,
        }

    def id_token(self, flow_nonce: str, *, key: RSAKey | None = None, kid: str | None = None, **claims: Any) -> str:
        """An ID token for Zoe signed with `key` (the provider's first key unless told); a claim given
        as OMIT is left out."""
        now = int(time.time())
        values = {
            "iss": self.url,
            "sub": "zoe-sub",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": flow_nonce,
            "email": "zoe@example.org",
            "email_verified": True,
            "preferred_username": "zoe",
            **claims,
        }
        key = key or KEYS["first"]
        header = {"alg": "RS256", "kid": kid or key.kid, "typ": "JWT"}
        # JSON written with \u escapes, so a test can send half a character (a lone surrogate).
        payload = json.dumps({name: value for name, value in values.items() if value is not OMIT})
        return jws.serialize_compact(header, payload, key)

    def answer(self, body: Any, *, status: int = 200, content_type: str = "application/json") -> str:
        """A code whose exchange at the token endpoint gets this answer (JSON unless bytes)."""
        code = token_urlsafe(16)
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self._answers[code] = (status, content_type, raw)
        return code

    def code_for(self, id_token: str) -> str:
        return self.answer(
            {"access_token": token_urlsafe(16), "token_type": "Bearer", "expires_in": 300, "id_token": id_token}
        )

    def respond(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        if path in self.broken:
            return self.broken[path]
        if method == "GET" and path == "/.well-known/openid-configuration":
            return 200, "application/json", json.dumps(self.metadata()).encode()
        if method == "GET" and path == "/jwks":
            keys = KeySet(list(self.published)).as_dict(private=False)
            return 200, "application/json", json.dumps(keys).encode()
        if method == "POST" and path == "/token":
            code = parse_qs(body.decode()).get("code", [""])[0]
            return self._answers.pop(code, (400, "application/json", b'{"error": "invalid_grant"}'))
        return 404, "text/plain", b"not here"

    def start(self) -> None:
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the port: the provider is unreachable from now on."""
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join(timeout=10)
            assert not self._thread.is_alive(), "the test provider did not stop"
            self._thread = None
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, content_type, raw = self.server.issuer.respond(method, self.path.split("?")[0], body)  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@contextmanager
def running_issuer() -> Iterator[Issuer]:
    issuer = Issuer()
    issuer.start()
    try:
        yield issuer
    finally:
        issuer.stop()
