"""Personal API tokens in a member's settings: create (shown once), list, revoke."""

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.access import signed_in
from portal.accounts import email_links, token_queries
from portal.accounts.forms import parse_api_token
from portal.accounts.queries import get_user_by_id
from portal.accounts.routes import RECENT_SIGNIN_MINUTES, signed_in_lately
from portal.accounts.tables import PASSWORD_RESET
from portal.db import utcnow
from portal.routing import path_for
from portal.templating import render


@signed_in
async def list_tokens(request: Request) -> Response:
    if request.method == "GET":
        return await _render(request, values={"scope": "read"}, errors={})
    form = parse_api_token(await request.form())
    if form.is_valid and not await signed_in_lately(request):
        form.error(
            "name",
            f"Sign in again first: a token is made only within {RECENT_SIGNIN_MINUTES} minutes of signing in "
            "(a token outlasts the session, so a copied session cookie must not make one).",
        )
    if not form.is_valid:
        return await _render(request, values=form.raw, errors=form.errors, status_code=400)
    token = await token_queries.create_token(
        request.app.state.db,
        user_id=request.user.id,
        name=form.data["name"],
        scope=form.data["scope"],
        expires_at=form.data["expires_at"],
    )
    member = await get_user_by_id(request.app.state.db, request.user.id)
    what = f"An API token ({form.data['scope']}) named “{form.data['name']}” was made"
    await email_links.send_new_way_in_notice(
        request.app.state.db, request.app.state.settings, member, what=what, now=utcnow()
    )
    # Shown in this response only: the database keeps its hash, and no later page can show it again.
    return await _render(request, values={"scope": "read"}, errors={}, new_token=token, status_code=201)


async def _render(request: Request, *, values: dict, errors: dict, new_token: str = "", status_code: int = 200):
    tokens = await token_queries.list_tokens(request.app.state.db, request.user.id)
    context = {
        "tokens": tokens,
        "values": values,
        "errors": errors,
        "new_token": new_token,
        "recent_signin_minutes": RECENT_SIGNIN_MINUTES,
        "password_reset": PASSWORD_RESET,
    }
    response = render(request, "accounts/list_tokens.html", context, status_code)
    response.headers["cache-control"] = "no-store"
    return response


@signed_in(next="/settings/tokens")
async def revoke_token(request: Request) -> Response:
    revoked = await token_queries.revoke_token(
        request.app.state.db, user_id=request.user.id, token_id=request.path_params["token_id"]
    )
    if not revoked:
        raise HTTPException(404, "You have no such token, or it was revoked already.")
    return RedirectResponse(path_for(request, "list_tokens"), 303)


routes = [
    Route("/settings/tokens", list_tokens, methods=["GET", "POST"], name="list_tokens"),
    Route("/settings/tokens/{token_id:id}/revoke", revoke_token, methods=["POST"], name="revoke_token"),
]
