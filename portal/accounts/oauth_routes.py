"""Signing in through a provider, and a member's sign-in settings: linked providers, email address."""

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.access import safe_next, signed_in
from portal.accounts import email_links, queries
from portal.accounts.forms import parse_email_change
from portal.accounts.oauth import (
    Provider,
    SignInRefused,
    forget_started_flows,
    identity_from_callback,
    start_sign_in,
)
from portal.accounts.passwords import check_password
from portal.accounts.routes import RECENT_SIGNIN_MINUTES, signed_in_lately, start_session
from portal.db import utcnow
from portal.routing import path_for
from portal.templating import render

NEXT_KEY = "oauth_next"


def _provider(request: Request) -> tuple[Provider, object]:
    key = request.path_params["provider"]
    provider = request.app.state.oauth_providers.get(key)
    if provider is None:
        raise HTTPException(404, "Signing in that way is not set up here.")
    return provider, request.app.state.oauth.create_client(key)


_SIGN_IN_AGAIN = (
    "To link {provider}, sign in again first (with your password, or a provider already linked), "
    f"then link it within {RECENT_SIGNIN_MINUTES} minutes."
)


async def start_oauth(request: Request) -> Response:
    provider, client = _provider(request)
    forget_started_flows(request)
    request.session[NEXT_KEY] = safe_next(request.query_params.get("next"))
    redirect_uri = str(request.url_for("oauth_callback", provider=provider.key))
    try:
        return await start_sign_in(client, provider, request, redirect_uri)
    except SignInRefused as refusal:
        return _refuse(request, refusal.message, refusal.status_code)


def _refuse(request: Request, message: str, status_code: int = 400) -> Response:
    forget_started_flows(request)
    return render(request, "accounts/oauth_refused.html", {"message": message}, status_code)


def _already_linked(request: Request, provider: Provider) -> Response:
    return _refuse(request, f"That {provider.label} account already signs in another member.", 409)


async def oauth_callback(request: Request) -> Response:
    provider, client = _provider(request)
    try:
        identity = await identity_from_callback(client, provider, request)
    except SignInRefused as refusal:
        return _refuse(request, refusal.message, refusal.status_code)
    next_path = request.session.pop(NEXT_KEY, "/")
    forget_started_flows(request)
    db = request.app.state.db
    email = identity.email.strip().lower() if identity.email else None
    owner = await queries.get_user_by_oauth(db, provider.key, identity.subject)

    if request.user.is_authenticated:  # from the member's settings: linking, or signing in again
        if owner is not None and owner["id"] != request.user.id:
            return _already_linked(request, provider)
        if owner is None:
            # A new way in only soon after a sign-in: a stolen session cookie must not add its own.
            if not await signed_in_lately(request):
                return _refuse(request, _SIGN_IN_AGAIN.format(provider=provider.label), 403)
            try:
                await queries.link_oauth(
                    db, provider=provider.key, subject=identity.subject, user_id=request.user.id, email=email
                )
            except queries.AlreadyLinked:
                return _already_linked(request, provider)
            member = await queries.get_user_by_id(db, request.user.id)
            what = f"{provider.label} was linked to sign in" + (f" (as {email})" if email else "")
            await email_links.send_new_way_in_notice(db, request.app.state.settings, member, what=what, now=utcnow())
        if email and identity.email_verified:  # the provider vouches for the member's own address
            await queries.confirm_email(db, request.user.id, email)
        if owner is not None:
            # A way in the member already had: a fresh sign-in, as a password typed again (a member
            # without a password changes their address only soon after one).
            await start_session(request, request.user.id)
        return RedirectResponse(path_for(request, "account_settings"), 303)

    user = owner
    if user is None:
        if not email or not identity.email_verified:
            return _refuse(
                request,
                f"{provider.label} did not confirm your email address, so we cannot create or find your "
                "account from it. Sign in another way, then link it in your settings.",
            )
        user = await queries.get_user_by_email(db, email)
        if user is not None:
            try:
                await queries.link_by_vouched_email(
                    db, provider=provider.key, subject=identity.subject, user=user, email=email
                )
            except queries.AlreadyLinked:
                return _already_linked(request, provider)
        else:
            user_id = await queries.create_user_from_provider(
                db,
                provider=provider.key,
                subject=identity.subject,
                email=email,
                wanted_username=identity.username or email.split("@")[0],
                display_name=identity.name or identity.username or "",
            )
            user = {"id": user_id}
    await start_session(request, user["id"])
    return RedirectResponse(next_path, 303)


@signed_in
async def account_settings(request: Request) -> Response:
    member = await queries.get_user_by_id(request.app.state.db, request.user.id)
    return render(request, "accounts/account_settings.html", await _settings_context(request, member))


async def _settings_context(request: Request, member: Any, values=None, errors=None) -> dict[str, Any]:
    links = await queries.list_oauth_accounts(request.app.state.db, member["id"])
    return {
        "recent_signin_minutes": RECENT_SIGNIN_MINUTES,
        "password_signin": request.app.state.settings.password_signin,
        "links": {link["provider"]: link for link in links},
        "providers": request.app.state.oauth_providers,
        "member": member,
        "may_resend": email_links.may_resend(member, utcnow()),
        "values": values or {},
        "errors": errors or {},
    }


@signed_in(next="/settings/accounts")
async def change_email(request: Request) -> Response:
    """A new address: the current password first (if the member has one), then a link to confirm
    it, and a word to the old address, in case it was not the member who asked."""
    db, settings = request.app.state.db, request.app.state.settings
    member = await queries.get_user_by_id(db, request.user.id)
    form = parse_email_change(await request.form())
    if form.is_valid and form.data["email"] == member["email"]:
        form.error("email", "That is your address already.")
    if form.is_valid and member["password_hash"]:
        hasher = request.app.state.password_hasher
        if not await check_password(hasher, member["password_hash"], form.data["password"]):
            form.error("password", "That is not your current password.")
    elif form.is_valid and not await signed_in_lately(request):
        # Without a password to ask for, a fresh sign-in through a provider shows it is the member
        # and not someone holding a stolen session cookie.
        form.error(
            "email",
            f"Sign in again through a provider below first: an account without a password changes its "
            f"address within {RECENT_SIGNIN_MINUTES} minutes of signing in.",
        )
    if form.is_valid:
        try:
            await queries.change_email(db, member["id"], form.data["email"])
        except queries.EmailTaken:
            form.error("email", "Another account uses that address.")
        else:
            now, changed = utcnow(), {**member, "email": form.data["email"]}
            await email_links.send_confirmation(db, settings, changed, now=now)
            await email_links.send_change_notice(db, settings, member, new_email=changed["email"], now=now)
            return RedirectResponse(path_for(request, "account_settings"), 303)
    values = {"email": form.raw.get("email", "")}
    context = await _settings_context(request, member, values, form.errors)
    return render(request, "accounts/account_settings.html", context, status_code=400)


@signed_in(next="/settings/accounts")
async def unlink(request: Request) -> Response:
    try:
        await queries.unlink_oauth(
            request.app.state.db, user_id=request.user.id, provider=request.path_params["provider"]
        )
    except queries.LastSignInMethod:
        raise HTTPException(409, "This is your only way to sign in: link another provider first.") from None
    return RedirectResponse(path_for(request, "account_settings"), 303)


routes = [
    Route("/signin/{provider:slug}", start_oauth, name="start_oauth"),
    Route("/signin/{provider:slug}/callback", oauth_callback, name="oauth_callback"),
    Route("/settings/accounts", account_settings, name="account_settings"),
    Route("/settings/email", change_email, methods=["POST"], name="change_email"),
    Route("/settings/accounts/{provider:slug}/remove", unlink, methods=["POST"], name="unlink_oauth"),
]
