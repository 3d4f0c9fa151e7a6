"""Your data: download everything you wrote as JSON, or delete your account."""

import json
from datetime import date, datetime
from typing import Any

from starlette.authentication import UnauthenticatedUser
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal.access import signed_in
from portal.db import utcnow
from portal.people import export, forgetting
from portal.people.forms import parse_deletion
from portal.templating import render


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


@signed_in
async def your_data(request: Request) -> Response:
    return render(request, "people/your_data.html", {"values": {}, "errors": {}})


@signed_in(next="/settings/data")
async def export_data(request: Request) -> Response:
    document = {
        "exported_at": utcnow(),
        "site": request.app.state.settings.site_name,
        **await export.export_member(request.app.state.db, request.user.id, request.app.state.assembly.export_sections),
    }
    body = json.dumps(document, default=_json_default, ensure_ascii=False, indent=2)
    filename = f"roundtable-{request.user.username}-{utcnow():%Y-%m-%d}.json"
    headers = {"content-disposition": f'attachment; filename="{filename}"', "cache-control": "no-store"}
    return Response(body, media_type="application/json", headers=headers)


@signed_in(next="/settings/data")
async def delete_account(request: Request) -> Response:
    form = parse_deletion(await request.form(), request.user.username)
    if not form.is_valid:
        return render(request, "people/your_data.html", {"values": form.raw, "errors": form.errors}, 400)
    try:
        await forgetting.delete_account(request.app.state.db, request.user.id, request.app.state.assembly.forget_hooks)
    except forgetting.LastAdmin:
        form.error("confirm_username", "You are the only admin: make another member admin first, then delete.")
        return render(request, "people/your_data.html", {"values": form.raw, "errors": form.errors}, 409)
    request.session.clear()
    request.scope["user"] = UnauthenticatedUser()
    return render(request, "people/account_deleted.html")


routes = [
    Route("/settings/data", your_data, name="your_data"),
    Route("/settings/data/export", export_data, name="export_data"),
    Route("/settings/data/delete", delete_account, methods=["POST"], name="delete_account"),
]
