"""The notifications page and marking notifications read."""

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.access import signed_in
from portal.notifications import queries
from portal.routing import path_for
from portal.templating import render


@signed_in
async def list_notifications(request: Request) -> Response:
    before = request.query_params.get("before")
    if before is not None and not (before.isascii() and before.isdecimal() and 0 < int(before) < 2**63):
        raise HTTPException(400, "That page link is not valid; start again from the first page.")
    page = await queries.list_notifications(
        request.app.state.db, request.user.id, before=int(before) if before else None
    )
    return render(request, "notifications/list_notifications.html", {"page": page})


@signed_in(next="/notifications")
async def mark_read(request: Request) -> Response:
    form = await request.form()
    raw = form.get("notification")
    notification_id = None
    if raw:
        if not (isinstance(raw, str) and raw.isascii() and raw.isdecimal() and 0 < int(raw) < 2**63):
            raise HTTPException(400, "That is not a notification number.")
        notification_id = int(raw)
    await queries.mark_read(request.app.state.db, request.user.id, notification_id=notification_id)
    return RedirectResponse(path_for(request, "list_notifications"), 303)


routes = [
    Route("/notifications", list_notifications, name="list_notifications"),
    Route("/notifications/read", mark_read, methods=["POST"], name="mark_notifications_read"),
]
