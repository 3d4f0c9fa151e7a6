"""Who is asking: the signed-in member behind a request, for Starlette's AuthenticationMiddleware."""

from datetime import datetime
from typing import Any

from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError, BaseUser
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from portal.accounts.queries import get_session_user
from portal.accounts.token_queries import get_token_user, touch_token
from portal.db import utcnow
from portal.faults import DatabaseUnavailable, StorageFull
from portal.security import API_PREFIX, bearer_token
from portal.static_files import STATIC_PREFIX


class Member(BaseUser):
    def __init__(self, row: Any, *, token_scope: str | None = None) -> None:
        # None: signed in through the session cookie; "read" or "write": through an API token.
        self.token_scope = token_scope
        self.id: int = row["id"]
        self.username: str = row["username"]
        self._display_name: str = row["display_name"]
        self.role: str = row["role"]
        self.is_founder: bool = bool(row["is_founder"])
        self.unread_notifications: int = row["unread_notifications"]
        self.suspended_until: datetime | None = row["suspended_until"]
        self.suspension_reason: str | None = row["suspension_reason"]

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self._display_name

    @property
    def is_maintainer(self) -> bool:
        return self.role in ("maintainer", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_suspended(self) -> bool:
        return self.suspended_until is not None and utcnow() < self.suspended_until


class SessionBackend(AuthenticationBackend):
    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        api_token = bearer_token(conn.scope)
        if api_token is not None:
            # A request that names a token is judged by the token alone, never by its cookie;
            # tokens open the API only, so elsewhere such a request is anonymous.
            if not conn.scope["path"].startswith(API_PREFIX):
                return None
            return await self._authenticate_token(conn, api_token)
        if conn.scope["path"].startswith(STATIC_PREFIX):
            # Not even a look at the session: a response that read it varies with the cookie
            # (Starlette adds `Vary: Cookie`), and static files are the same for everyone.
            return None
        token = conn.session.get("sid")
        if not token:
            return None
        row = await get_session_user(conn.app.state.db, token)
        if row is None:
            # Signed out elsewhere, expired, or the member is gone: forget it.
            conn.session.pop("sid", None)
            return None
        member = Member(row)
        scopes = ["authenticated", member.role]
        return AuthCredentials(scopes), member

    async def _authenticate_token(self, conn: HTTPConnection, token: str) -> tuple[AuthCredentials, BaseUser]:
        if not token:
            raise AuthenticationError("Send the token as `Authorization: Bearer <token>`.")
        db = conn.app.state.db
        row = await get_token_user(db, token)
        if row is None:
            raise AuthenticationError("That API token is not valid: it is unknown, expired or revoked.")
        try:
            await touch_token(db, row["token_id"], row["token_last_used_at"])
        except (StorageFull, DatabaseUnavailable):
            pass  # a note of when, not what the script asked for: its reads go on, its writes get the 503
        member = Member(row, token_scope=row["token_scope"])
        return AuthCredentials(["authenticated", member.role, f"token:{member.token_scope}"]), member


class SessionCookieMiddleware:
    """Starlette's signed session cookie, marked Secure whenever the request came over https."""

    def __init__(self, app: ASGIApp, *, secret_key: str, max_age: int) -> None:
        options = {"secret_key": secret_key, "max_age": max_age, "same_site": "lax", "session_cookie": "session"}
        self.plain = SessionMiddleware(app, https_only=False, **options)
        self.secure = SessionMiddleware(app, https_only=True, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope.get("scheme") in ("https", "wss"):
            await self.secure(scope, receive, send)
        else:
            await self.plain(scope, receive, send)
