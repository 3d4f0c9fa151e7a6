"""Who may use a page, declared on its endpoint (Starlette's `@requires` idea):

    @signed_in                              # anonymous: to the sign-in page, then back here
    @signed_in(next="/settings/data")       # a form's POST: back to the page the form is on
    @role("admin", "Only admins can read the outbox.")   # 403 with that message otherwise

Stacked, they apply from the top: `@signed_in` over `@role(...)` sends a visitor to sign in and
refuses a member without the role. Not being suspended needs no declaration: every write of a
suspended member is refused before any route by portal.accounts.guards.SuspensionMiddleware, and by
the API's own check (portal.api). The JSON API declares access on each `Operation` (portal.api).

Each decorator records its rule in the endpoint's `access` tuple, so a test walks the routes and
finds any write that declares nothing (tests/portal/test_access.py).
"""

import functools
import inspect
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from portal.api import API_SIGN_IN, error_json, is_api_request
from portal.errors import Forbidden
from portal.routing import path_for

Endpoint = Callable[..., Awaitable[Response]]
# Where a visitor comes back to after signing in: a path, or a function of the request giving one
# (it may look the page's object up first, and so answer 404 before asking anyone to sign in).
Next = str | Callable[[Request], str | Awaitable[str]]

# Where to go after signing in rides in the session cookie through a provider's sign-in, and a
# cookie past 4,096 bytes is dropped by browsers: a longer `next` is not kept. Its length is counted
# as the session writes it (JSON, where a character outside ASCII takes 6 or 12 bytes), not in
# characters: 512 emoji would make a cookie of ~8 KB.
MAX_NEXT_LENGTH = 512
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to go back to after signing in, at most MAX_NEXT_LENGTH long as the session
    stores it; anything else (another site, a path too long to keep, control characters browsers
    strip) becomes `default`."""
    if (
        not value
        or len(json.dumps(value)) - 2 > MAX_NEXT_LENGTH
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or _CONTROL_CHARACTERS.search(value)
    ):
        return default
    return value


def signin_url(request: Request, next_path: str) -> str:
    """The sign-in page, coming back to `next_path` afterwards when it is one safe_next keeps."""
    next_path = safe_next(next_path, default="")
    return path_for(request, "signin") + ("?" + urlencode({"next": next_path}) if next_path else "")


def _declare(wrapper: Any, rule: str) -> None:
    # functools.wraps copied the inner endpoint's rules; the outer rule comes first.
    wrapper.access = (rule, *getattr(wrapper.__wrapped__, "access", ()))


async def _next_path(request: Request, next: Next | None) -> str:
    if next is None:
        return request.url.path
    if isinstance(next, str):
        return next
    path = next(request)
    return await path if inspect.isawaitable(path) else path


def signed_in(endpoint: Endpoint | None = None, *, next: Next | None = None) -> Any:
    """Only for members who are signed in; a visitor is sent to sign in and then to `next` (this
    page by default: give the page a form is on for a POST-only route)."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def only_signed_in(request: Request, *args: Any, **kwargs: Any) -> Response:
            if not request.user.is_authenticated:
                if is_api_request(request):
                    return error_json(401, API_SIGN_IN)
                return RedirectResponse(signin_url(request, await _next_path(request, next)), 303)
            return await endpoint(request, *args, **kwargs)

        _declare(only_signed_in, "signed_in")
        return only_signed_in

    return decorate(endpoint) if endpoint is not None else decorate


_ROLES: dict[str, Callable[[Any], bool]] = {
    "maintainer": lambda user: user.is_maintainer,  # admins are maintainers too
    "admin": lambda user: user.is_admin,
}


def role(name: str, message: str | None = None) -> Callable[[Endpoint], Endpoint]:
    """Only for members with role `name` ("maintainer" or "admin"); anyone else, signed in or not,
    is refused with 403 and `message`."""
    has_role = _ROLES[name]
    refusal = message or f"Only {name}s can do this."

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def only_role(request: Request, *args: Any, **kwargs: Any) -> Response:
            user = request.user
            if not (user.is_authenticated and has_role(user)):
                raise Forbidden(message=refusal)
            return await endpoint(request, *args, **kwargs)

        _declare(only_role, f"role:{name}")
        return only_role

    return decorate
