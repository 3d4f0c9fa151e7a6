"""Compressed responses (gzip), except where compression could give a secret away.

BREACH: when a compressed response holds a secret and also text an attacker chooses (a search
term, a `next` address), the response's size tells the attacker, request after request, how much
of a guess matches the secret. Pages a session sees hold such secrets: the CSRF token, and private
data. So responses to a request that carries the session cookie are sent uncompressed, unless they
are static files (the same for everyone, no secret in them). A visitor's first page may hold a new
CSRF token, but the next request carries its cookie, so no token is ever compressed twice.
Visitors' pages, feeds, the API (bearer tokens are not sent by browsers on their own) and static
files are compressed. Starlette's GZipMiddleware leaves small bodies (under 500 bytes) and
already-compressed types (images, fonts, archives) alone.
"""

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from portal.security import carries_session_cookie
from portal.static_files import STATIC_PREFIX

# Level 6, zlib's default: nearly the size of 9 at a fraction of the CPU.
COMPRESS_LEVEL = 6


class CompressionMiddleware:
    def __init__(self, app: ASGIApp, *, static_prefix: str = STATIC_PREFIX) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, compresslevel=COMPRESS_LEVEL)
        self.static_prefix = static_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not _accepts_gzip(scope)  # GZipMiddleware would still wrap and inspect the response
            or (carries_session_cookie(scope) and not scope["path"].startswith(self.static_prefix))
        ):
            await self.app(scope, receive, send)
            return
        await self.gzip(scope, receive, send)


def _accepts_gzip(scope: Scope) -> bool:
    return any(name == b"accept-encoding" and b"gzip" in value for name, value in scope["headers"])
