"""Email settings, and the unsubscribe links in every email (which work without signing in)."""

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.access import signed_in
from portal.notifications import preferences
from portal.notifications.forms import field_name, parse_email_preferences
from portal.notifications.tables import DELIVERIES, KINDS
from portal.notifications.tokens import read_unsubscribe_token
from portal.routing import path_for
from portal.templating import error_response, render


def _page(request: Request, values: dict, errors: dict, *, saved: bool = False, status_code: int = 200) -> Response:
    settings = request.app.state.settings
    kinds = [(kind, field_name(kind), preferences.kind_label(kind)) for kind in KINDS]
    options = [(delivery, preferences.DELIVERY_LABELS[delivery]) for delivery in DELIVERIES]
    context = {
        "kinds": kinds,
        "options": options,
        "values": values,
        "errors": errors,
        "saved": saved,
        "digest_hour": settings.digest_hour,
    }
    return render(request, "notifications/email_settings.html", context, status_code=status_code)


@signed_in
async def email_settings(request: Request) -> Response:
    db = request.app.state.db
    if request.method == "POST":
        form = parse_email_preferences(await request.form())
        if not form.is_valid:
            return _page(request, form.raw, form.errors, status_code=400)
        await preferences.save_preferences(
            db, request.user.id, form.data["choices"], emails_off=form.data["emails_off"]
        )
        return RedirectResponse(path_for(request, "email_settings") + "?saved=1", 303)
    choices, emails_off = await preferences.get_preferences(db, request.user.id)
    values = {field_name(kind): delivery for kind, delivery in choices.items()}
    if emails_off:
        values["emails_off"] = "on"
    return _page(request, values, {}, saved=request.query_params.get("saved") == "1")


async def unsubscribe(request: Request) -> Response:
    """GET shows a button and changes nothing (mail scanners follow links); POST unsubscribes.

    The POST needs no CSRF token (portal.app exempts this path): the signed token in the address
    is the authorization, and RFC 8058 one-click POSTs from mail clients carry nothing else.
    """
    settings = request.app.state.settings
    found = read_unsubscribe_token(settings, request.path_params["token"])
    kind = found[1] if found else None
    if found is None or (kind is not None and kind not in KINDS):
        return error_response(
            request,
            400,
            "This unsubscribe link is not valid: it may have been cut short or changed. "
            "Copy the whole link from the email, or sign in and change your email settings.",
        )
    member = await preferences.get_member(request.app.state.db, found[0])
    if member is None:
        return error_response(request, 404, "The account this link was for no longer exists; it gets no email.")
    context = {
        "token": request.path_params["token"],
        "what": f"emails about {preferences.kind_label(kind).lower()}" if kind else "all email",
        "username": member["username"],
        "done": False,
    }
    if request.method == "POST":
        await preferences.unsubscribe(request.app.state.db, member["id"], kind)
        context["done"] = True
    return render(request, "notifications/unsubscribe.html", context)


routes = [
    Route("/settings/notifications", email_settings, methods=["GET", "POST"], name="email_settings"),
    Route("/unsubscribe/{token}", unsubscribe, methods=["GET", "POST"], name="unsubscribe"),
]
