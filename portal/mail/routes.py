"""The outbox page: every email the portal composed and what became of it, for admins."""

import email
import email.policy
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.accounts.routes import signin_url
from portal.mail import queries
from portal.templating import render


def _text_of(row: Any) -> str:
    body = email.message_from_string(row["message"], policy=email.policy.default).get_body(("plain",))
    return body.get_content() if body is not None else ""


async def show_outbox(request: Request) -> Response:
    if not request.user.is_authenticated:
        return RedirectResponse(signin_url(request, request.url.path), 303)
    if not request.user.is_admin:
        raise HTTPException(403, "Only admins can read the outbox.")
    before = request.query_params.get("before")
    if before is not None and not (before.isascii() and before.isdecimal() and 0 < int(before) < 2**63):
        raise HTTPException(400, "That page link is not valid; start again from the first page.")
    page = await queries.list_outbox(request.app.state.db, before=int(before) if before else None)
    emails = [{"row": row, "text": _text_of(row)} for row in page.rows]
    smtp_host = request.app.state.settings.smtp_host
    return render(request, "mail/show_outbox.html", {"page": page, "emails": emails, "smtp_host": smtp_host})


routes = [Route("/admin/outbox", show_outbox, name="show_outbox")]
