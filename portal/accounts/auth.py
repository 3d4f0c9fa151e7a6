"""Who is asking: the signed-in member behind a request, for Starlette's AuthenticationMiddleware."""

from datetime import datetime
from typing import Any

from starlette.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from portal.accounts.queries import get_session_user
from portal.db import utcnow


class Member(BaseUser):
    def __init__(self, row: Any) -> None:
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
        token = conn.session.get("sid")
        if not token or conn.url.path.startswith("/static/"):
            return None
        row = await get_session_user(conn.app.state.db, token)
        if row is None:
            # Signed out elsewhere, expired, or the member is gone: forget it.
            conn.session.pop("sid", None)
            return None
        member = Member(row)
        scopes = ["authenticated", member.role]
        return AuthCredentials(scopes), member


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
