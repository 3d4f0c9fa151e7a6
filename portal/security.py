"""CSRF protection and security headers, as pure ASGI middleware."""

import secrets
from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request, cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.forms import is_urlencoded

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_COOKIE = "session"
# The JSON API: bearer tokens count here and nowhere else; errors here are JSON.
API_PREFIX = "/api/v1/"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def csrf_token(connection: HTTPConnection) -> str:
    """The token forms and scripts must send back; kept in the signed session."""
    token = connection.session.get("csrf")
    if token is None:
        token = connection.session["csrf"] = secrets.token_urlsafe(32)
    return token


ErrorRenderer = Callable[[Request, int, str], Response]


def bearer_token(scope: Scope) -> str | None:
    """The token of an `Authorization: Bearer` header ("" when it names none); None without one."""
    authorization = Headers(scope=scope).get("authorization")
    if authorization is None:
        return None
    kind, _, token = authorization.strip().partition(" ")
    return token.strip() if kind.lower() == "bearer" else None


def carries_session_cookie(scope: Scope) -> bool:
    return SESSION_COOKIE in cookie_parser(Headers(scope=scope).get("cookie", ""))


class CSRFMiddleware:
    """Refuse any state-changing request that does not carry the session's CSRF token.

    The token comes in the `X-CSRF-Token` header (scripts) or the `csrf_token`
    form field (plain forms). Reading the field means reading the body here, so
    this is also where the size of a form body is capped.
    """

    def __init__(
        self, app: ASGIApp, *, max_body: int, render_error: ErrorRenderer, exempt_prefixes: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.render_error = render_error
        # Paths whose POSTs carry their own authorization (a signed token in the address) and come
        # from outside any session, like RFC 8058 one-click unsubscribes from mail clients.
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(API_PREFIX) and not carries_session_cookie(scope):
            # Without the cookie there is no ambient credential a cross-site form could borrow: such an API
            # request proves itself with its bearer token (or is anonymous and refused), and the API caps
            # its body itself. A request that brings the cookie is checked, token or not.
            await self.app(scope, receive, send)
            return

        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left before sending its body: nobody to answer
            messages.append(message)
            size += len(message.get("body", b""))
            if size > self.max_body:
                await self._refuse(scope, 413, "That request is too large.", send)
                return
            if message["type"] != "http.request" or not message.get("more_body", False):
                break

        def replay() -> Receive:
            pending = list(messages)

            async def receive_again() -> Message:
                if pending:
                    return pending.pop(0)
                return await receive()

            return receive_again

        if self.exempt_prefixes and scope["path"].startswith(self.exempt_prefixes):
            await self.app(scope, replay(), send)
            return

        headers = Headers(scope=scope)
        submitted = headers.get(CSRF_HEADER)
        if submitted is None and is_urlencoded(headers.get("content-type", "")):
            # A plain form (votes, comments): the field straight from the body, as Starlette's
            # parser would read it (the last one wins), without parsing the form twice.
            body = b"".join(message.get("body", b"") for message in messages).decode("utf-8", "replace")
            fields = [value for name, value in parse_qsl(body, keep_blank_values=True) if name == CSRF_FIELD]
            submitted = fields[-1] if fields else None
        elif submitted is None:
            try:
                form = await Request(scope, replay()).form()
            except HTTPException as error:
                await self._refuse(scope, error.status_code, "That form could not be read.", send)
                return
            value = form.get(CSRF_FIELD)
            submitted = value if isinstance(value, str) else None
            await form.close()

        expected = scope.get("session", {}).get("csrf")
        if not expected or not submitted or not secrets.compare_digest(expected.encode(), submitted.encode()):
            await self._refuse(
                scope,
                403,
                "This form has expired or did not come from this site. Go back, reload the page and send it again.",
                send,
            )
            return
        await self.app(scope, replay(), send)

    async def _refuse(self, scope: Scope, status: int, message: str, send: Send) -> None:
        async def no_body() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        request = Request(scope, no_body)
        response = self.render_error(request, status, message)
        await response(scope, no_body, send)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(MutableHeaders(scope=message), scope.get("scheme"))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def add_security_headers(headers: MutableHeaders, scheme: str | None) -> None:
    headers.setdefault("content-security-policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("x-content-type-options", "nosniff")
    headers.setdefault("referrer-policy", "same-origin")
    headers.setdefault("x-frame-options", "DENY")
    if scheme == "https":
        headers.setdefault("strict-transport-security", "max-age=31536000")
