"""Sign up, sign in, sign out."""

from datetime import timedelta
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal import ratelimit
from portal.access import safe_next, signed_in, signin_url
from portal.accounts import email_links, queries
from portal.accounts.forms import parse_forgot_password, parse_new_password, parse_signin, parse_signup
from portal.accounts.passwords import check_password, decoy_hash, hash_password, needs_rehash
from portal.db import utcnow
from portal.routing import path_for
from portal.security import csrf_token
from portal.templating import render

# What a copied session cookie must not do (add a way in, make an API token, give an account
# without a password a new address) needs a sign-in this recent on the browser.
RECENT_SIGNIN_MINUTES = 10


async def signed_in_lately(request: Request) -> bool:
    started = await queries.session_started_at(request.app.state.db, request.session.get("sid"))
    return started is not None and utcnow() - started <= timedelta(minutes=RECENT_SIGNIN_MINUTES)


async def start_session(request: Request, user_id: int) -> None:
    """Sign `user_id` in on this browser, with a fresh session and CSRF token."""
    settings = request.app.state.settings
    token = await queries.create_session(request.app.state.db, user_id, settings.session_max_age)
    if request.session.get("sid"):  # signed in before on this browser: that session ends
        await queries.delete_session(request.app.state.db, request.session["sid"])
    request.session.clear()
    request.session["sid"] = token
    csrf_token(request)


def _password_signin_off(request: Request) -> bool:
    return not request.app.state.settings.password_signin


def _providers_context(request: Request) -> dict:
    return {
        "providers": request.app.state.oauth_providers,
        "password_signin": request.app.state.settings.password_signin,
    }


async def signup(request: Request) -> Response:
    next_path = safe_next(request.query_params.get("next"))
    if _password_signin_off(request):
        if request.method == "POST":
            raise HTTPException(403, "Signing up with a password is switched off here; use a provider to sign in.")
        return RedirectResponse(signin_url(request, next_path), 303)
    if request.method == "GET":
        return render(request, "accounts/signup.html", {"values": {}, "errors": {}, "next": next_path})

    form = parse_signup(await request.form())
    if form.is_valid:
        password_hash = await hash_password(request.app.state.password_hasher, form.data["password"])
        try:
            user_id = await queries.create_user(
                request.app.state.db,
                username=form.data["username"],
                email=form.data["email"],
                display_name=form.data["display_name"],
                password_hash=password_hash,
                email_verified=False,  # until the link we email is followed
            )
        except queries.UsernameTaken:
            form.error("username", "That username is taken; choose another.")
        except queries.EmailTaken:
            form.error("email", "An account with that email exists already. Sign in instead?")
        else:
            db = request.app.state.db
            member = await queries.get_user_by_id(db, user_id)
            await email_links.send_confirmation(db, request.app.state.settings, member, now=utcnow())
            await start_session(request, user_id)
            # A newcomer with nowhere particular to go meets the welcome page first.
            if next_path == "/":
                next_path = path_for(request, "welcome")
            return RedirectResponse(next_path, status_code=303)
    values = {key: value for key, value in form.raw.items() if key != "password"}
    return render(
        request,
        "accounts/signup.html",
        {"values": values, "errors": form.errors, "next": next_path},
        status_code=400,
    )


async def signin(request: Request) -> Response:
    next_path = safe_next(request.query_params.get("next"))
    if request.method == "GET":
        context = {"values": {}, "errors": {}, "next": next_path, **_providers_context(request)}
        return render(request, "accounts/signin.html", context)
    if _password_signin_off(request):
        raise HTTPException(403, "Signing in with a password is switched off here; use a provider.")

    form = parse_signin(await request.form())
    limiter = request.app.state.limiter
    seconds = None
    if form.is_valid:
        # However many addresses guess, one account takes only so many wrong passwords, whether
        # they name it by username or by email; and one address only so many, whatever the account.
        user = await queries.get_user_by_login(request.app.state.db, form.data["login"])
        account = f"member:{user['id']}" if user is not None else "login:" + form.data["login"].strip().lower()
        address = ratelimit.address_key(request.scope)
        address_wait = await limiter.wait_after_failures(ratelimit.SIGNIN_FAILURES_ADDRESS, address)
        if address_wait is None:
            # Counted as a failure before the password is checked, so that guesses sent at once
            # cannot all be checked before any is counted; a right password takes it back.
            account_wait = await limiter.take_attempt(ratelimit.SIGNIN_FAILURES_ACCOUNT, account)
        else:  # a refused address adds nothing to the account's count
            account_wait = await limiter.wait_after_failures(ratelimit.SIGNIN_FAILURES_ACCOUNT, account)
        if account_wait is not None:
            seconds = account_wait
            form.error("password", ratelimit.too_many(ratelimit.SIGNIN_FAILURES_ACCOUNT, seconds))
        elif address_wait is not None:
            seconds = address_wait
            form.error("password", ratelimit.too_many(ratelimit.SIGNIN_FAILURES_ADDRESS, seconds))
    if form.is_valid:
        db = request.app.state.db
        hasher = request.app.state.password_hasher
        stored_hash = user["password_hash"] if user is not None else None
        matches = await check_password(hasher, stored_hash or await decoy_hash(hasher), form.data["password"])
        if matches and stored_hash:
            if needs_rehash(hasher, user["password_hash"]):
                new_hash = await hash_password(hasher, form.data["password"])
                await queries.update_password_hash(db, user["id"], new_hash)
            await limiter.forget_failures(ratelimit.SIGNIN_FAILURES_ACCOUNT, account)
            await start_session(request, user["id"])
            return RedirectResponse(next_path, status_code=303)
        await limiter.count_failure(ratelimit.SIGNIN_FAILURES_ADDRESS, address)
        account_limited = await limiter.wait_after_failures(ratelimit.SIGNIN_FAILURES_ACCOUNT, account) is not None
        if account_limited and user is not None:
            await _tell_member_signin_paused(request, user)
        form.error("password", "That username or email and password do not match.")
    response = render(
        request,
        "accounts/signin.html",
        {
            "values": {"login": form.raw.get("login", "")},
            "errors": form.errors,
            "next": next_path,
            **_providers_context(request),
        },
        status_code=400 if seconds is None else 429,
    )
    if seconds is not None:
        response.headers["Retry-After"] = str(seconds)
    return response


async def _tell_member_signin_paused(request: Request, member: Any) -> None:
    """Email the member that their account reached a sign-in limit, once an hour at most."""
    limiter = request.app.state.limiter
    seconds = await limiter.wait_after_failures(ratelimit.SIGNIN_FAILURES_ACCOUNT, f"member:{member['id']}")
    if seconds is None or await limiter.retry_after(ratelimit.SIGNIN_LIMIT_NOTICE, f"member:{member['id']}"):
        return
    now = utcnow()
    await email_links.send_signin_paused_notice(
        request.app.state.db, request.app.state.settings, member, until=now + timedelta(seconds=seconds), now=now
    )


async def signout(request: Request) -> Response:
    token = request.session.get("sid")
    if token:
        await queries.delete_session(request.app.state.db, token)
    request.session.clear()
    return RedirectResponse(path_for(request, "home"), status_code=303)


async def confirm_email(request: Request) -> Response:
    """The link from the confirmation email: a button, and the POST that confirms."""
    token = request.path_params["token"]
    found = email_links.read_confirmation_token(request.app.state.settings, token)
    if found is None:
        message = "This confirmation link is not valid or has expired. Sign in and ask for a new one in your settings."
        return render(request, "accounts/confirm_email.html", {"invalid": message}, status_code=404)
    user_id, email = found
    member = await queries.get_user_by_id(request.app.state.db, user_id)
    done = False
    if request.method == "POST":
        done = await queries.confirm_email(request.app.state.db, user_id, email)
        if not done:
            message = "This link was sent to an address the account no longer has; nothing was changed."
            return render(request, "accounts/confirm_email.html", {"invalid": message}, status_code=409)
    context = {"email": email, "token": token, "done": done, "username": member["username"] if member else ""}
    return render(request, "accounts/confirm_email.html", context)


@signed_in(next="/settings/accounts")
async def resend_confirmation(request: Request) -> Response:
    db, now = request.app.state.db, utcnow()
    member = await queries.get_user_by_id(db, request.user.id)
    if email_links.may_resend(member, now):
        await email_links.send_confirmation(db, request.app.state.settings, member, now=now)
    return RedirectResponse(path_for(request, "account_settings"), 303)


async def forgot_password(request: Request) -> Response:
    """Ask for a link that sets a new password; the answer never tells whether an account exists."""
    if _password_signin_off(request):
        raise HTTPException(404, "Passwords are switched off here; sign in through a provider.")
    if request.method == "GET":
        return render(request, "accounts/forgot_password.html", {"values": {}, "errors": {}})
    form = parse_forgot_password(await request.form())
    if not form.is_valid:
        context = {"values": {"login": form.raw.get("login", "")}, "errors": form.errors}
        return render(request, "accounts/forgot_password.html", context, status_code=400)
    db = request.app.state.db
    member = await queries.get_user_by_login(db, form.data["login"])
    if member is not None:
        await email_links.send_reset(db, request.app.state.settings, member, now=utcnow())
    return render(request, "accounts/forgot_password.html", {"sent": True, "values": {}, "errors": {}})


async def reset_password(request: Request) -> Response:
    """The emailed link: a form for the new password, whose POST sets it and signs the member in."""
    if _password_signin_off(request):
        raise HTTPException(404, "Passwords are switched off here; sign in through a provider.")
    token = request.path_params["token"]
    db = request.app.state.db
    found = email_links.read_reset_token(request.app.state.settings, token)
    member = await queries.get_user_by_id(db, found[0]) if found else None
    if member is None or email_links.fingerprint(member) != found[1]:
        message = (
            "This link is not valid any more: it expired (links last an hour), was used already, "
            "or the account changed since. Ask for a new one."
        )
        return render(request, "accounts/reset_password.html", {"invalid": message}, status_code=404)
    context = {"token": token, "member": member, "errors": {}}
    if request.method == "GET":
        return render(request, "accounts/reset_password.html", context)
    form = parse_new_password(await request.form(), member)
    if not form.is_valid:
        return render(request, "accounts/reset_password.html", {**context, "errors": form.errors}, status_code=400)
    password_hash = await hash_password(request.app.state.password_hasher, form.data["password"])
    now = utcnow()
    ended = await queries.set_password(db, member["id"], password_hash, now=now)
    # Whoever guessed at the password before does not keep its owner from signing in now.
    await request.app.state.limiter.forget_failures(ratelimit.SIGNIN_FAILURES_ACCOUNT, f"member:{member['id']}")
    await email_links.send_password_reset_notice(
        db,
        request.app.state.settings,
        await queries.get_user_by_id(db, member["id"]),  # its address now confirmed
        signed_out=ended.sessions,
        tokens_ended=ended.api_tokens,
        now=now,
    )
    await start_session(request, member["id"])
    return RedirectResponse(path_for(request, "home"), status_code=303)


routes = [
    Route("/signup", signup, methods=["GET", "POST"], name="signup"),
    Route("/password/forgot", forgot_password, methods=["GET", "POST"], name="forgot_password"),
    Route("/password/reset/{token}", reset_password, methods=["GET", "POST"], name="reset_password"),
    Route("/confirm-email/{token}", confirm_email, methods=["GET", "POST"], name="confirm_email"),
    Route("/settings/email/confirm", resend_confirmation, methods=["POST"], name="resend_confirmation"),
    Route("/signin", signin, methods=["GET", "POST"], name="signin"),
    Route("/signout", signout, methods=["POST"], name="signout"),
]
