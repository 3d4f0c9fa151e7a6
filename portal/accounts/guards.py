"""Checks every domain makes before a member takes part (posts, votes, reacts, flags)."""

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from portal.security import API_PREFIX, SAFE_METHODS


def suspension_message(user: Any) -> str:
    """What a suspended member reads when a write is refused: why, and until when."""
    return (
        f"Your account is suspended until {user.suspended_until:%Y-%m-%d %H:%M} UTC, so you cannot post, "
        f"vote, react or flag. The reason given: {user.suspension_reason}"
    )


# What a suspended member may still do: leave, take their data or delete their account, and quiet emails.
SUSPENDED_MAY = ("/signout", "/settings/data", "/settings/notifications", "/notifications/read", "/unsubscribe/")


class SuspensionMiddleware:
    """Refuse every write of a suspended member, whatever the route: no handler can forget the check.

    The JSON API refuses with its own JSON error (portal/api.py); this covers the site.
    """

    def __init__(self, app: ASGIApp, *, render_error: Callable[[Request, int, str], Response]) -> None:
        self.app = app
        self.render_error = render_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            user = scope.get("user")
            path = scope["path"]
            if (
                user is not None
                and user.is_authenticated
                and user.is_suspended
                and not path.startswith(SUSPENDED_MAY)
                and not path.startswith(API_PREFIX)
            ):
                request = Request(scope, receive)
                await self.render_error(request, 403, suspension_message(user))(scope, receive, send)
                return
        await self.app(scope, receive, send)
