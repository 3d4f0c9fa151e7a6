"""Admin pages for webhooks: register, edit, disable, delete, rotate the secret, the delivery log."""

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.access import role
from portal.netguard import UnsafeURL, check_public_url
from portal.routing import path_for
from portal.templating import render
from portal.webhooks import delivery, queries
from portal.webhooks.forms import event_field, parse_webhook, webhook_values
from portal.webhooks.tables import EVENTS

ADMINS_ONLY = role("admin", "Only admins can manage webhooks.")


async def _this_webhook(request: Request) -> Any:
    """The webhook in the address (WebhookNotFound answers 404)."""
    return await queries.get_webhook(request.app.state.db, request.path_params["webhook_id"])


async def _check_address(request: Request, form: Any) -> None:
    """Where the host resolves, checked at registration as at every delivery."""
    if "url" in form.errors or not form.data.get("url"):
        return
    settings = request.app.state.settings
    try:
        await check_public_url(
            form.data["url"], schemes=delivery.allowed_schemes(settings), allow_private=settings.allow_private_urls
        )
    except UnsafeURL as error:
        form.error("url", str(error))


def _page_context(**context: Any) -> dict[str, Any]:
    return {"events": EVENTS, "event_field": event_field, **context}


@ADMINS_ONLY
async def list_webhooks(request: Request) -> Response:
    db = request.app.state.db
    if request.method == "GET":
        context = _page_context(webhooks=await queries.list_webhooks(db), values={}, errors={})
        return render(request, "webhooks/list_webhooks.html", context)
    form = parse_webhook(await request.form(), schemes=delivery.allowed_schemes(request.app.state.settings))
    await _check_address(request, form)
    if not form.is_valid:
        context = _page_context(webhooks=await queries.list_webhooks(db), values=form.raw, errors=form.errors)
        return render(request, "webhooks/list_webhooks.html", context, 400)
    webhook_id = await queries.create_webhook(
        db,
        url=form.data["url"],
        description=form.data["description"],
        events=form.data["events"],
        created_by_id=request.user.id,
    )
    return RedirectResponse(path_for(request, "show_webhook", webhook_id=webhook_id), 303)


@ADMINS_ONLY
async def show_webhook(request: Request) -> Response:
    db = request.app.state.db
    webhook = await _this_webhook(request)
    values, errors, status_code = webhook_values(webhook), {}, 200
    if request.method == "POST":
        form = parse_webhook(await request.form(), schemes=delivery.allowed_schemes(request.app.state.settings))
        await _check_address(request, form)
        if form.is_valid:
            await queries.update_webhook(
                db,
                webhook["id"],
                url=form.data["url"],
                description=form.data["description"],
                events=form.data["events"],
                is_active=form.data["is_active"],
            )
            return RedirectResponse(path_for(request, "show_webhook", webhook_id=webhook["id"]), 303)
        values, errors, status_code = form.raw, form.errors, 400
    context = _page_context(
        webhook=webhook,
        values=values,
        errors=errors,
        log=await queries.delivery_log(db, webhook["id"]),
        signature_header=delivery.SIGNATURE_HEADER,
    )
    return render(request, "webhooks/show_webhook.html", context, status_code)


@ADMINS_ONLY
async def ping_webhook(request: Request) -> Response:
    webhook = await _this_webhook(request)
    await queries.ping(request.app.state.db, webhook["id"])
    return RedirectResponse(path_for(request, "show_webhook", webhook_id=webhook["id"]), 303)


@ADMINS_ONLY
async def send_again(request: Request) -> Response:
    webhook = await _this_webhook(request)
    try:
        await queries.send_again(request.app.state.db, webhook["id"], request.path_params["delivery_id"])
    except queries.WebhookNotFound:
        raise HTTPException(404, "There is no such delivery for this webhook.") from None
    return RedirectResponse(path_for(request, "show_webhook", webhook_id=webhook["id"]), 303)


@ADMINS_ONLY
async def rotate_secret(request: Request) -> Response:
    webhook = await _this_webhook(request)
    await queries.rotate_secret(request.app.state.db, webhook["id"])
    return RedirectResponse(path_for(request, "show_webhook", webhook_id=webhook["id"]), 303)


@ADMINS_ONLY
async def delete_webhook(request: Request) -> Response:
    webhook = await _this_webhook(request)
    await queries.delete_webhook(request.app.state.db, webhook["id"])
    return RedirectResponse(path_for(request, "list_webhooks"), 303)


routes = [
    Route("/admin/webhooks", list_webhooks, methods=["GET", "POST"], name="list_webhooks"),
    Route("/admin/webhooks/{webhook_id:id}", show_webhook, methods=["GET", "POST"], name="show_webhook"),
    Route("/admin/webhooks/{webhook_id:id}/ping", ping_webhook, methods=["POST"], name="ping_webhook"),
    Route("/admin/webhooks/{webhook_id:id}/secret", rotate_secret, methods=["POST"], name="rotate_webhook_secret"),
    Route("/admin/webhooks/{webhook_id:id}/delete", delete_webhook, methods=["POST"], name="delete_webhook"),
    Route(
        "/admin/webhooks/{webhook_id:id}/deliveries/{delivery_id:id}/again",
        send_again,
        methods=["POST"],
        name="send_webhook_again",
    ),
]
