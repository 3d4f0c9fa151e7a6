"""The outbox page: every email the portal composed and what became of it, for admins.

Its secret links (a password link, an address confirmation, an unsubscribe link) are masked:
an admin who asks for a member's password link must not be able to follow it."""

import email
import email.policy
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal import secret_links
from portal.access import role, signed_in
from portal.mail import queries
from portal.templating import render


def _parts_of(row: Any) -> dict[str, str]:
    """The email's text and HTML (as source), each with its secret links masked."""
    message = email.message_from_string(secret_links.mask_message(row["message"]), policy=email.policy.default)
    parts = {}
    for subtype in ("plain", "html"):
        body = message.get_body((subtype,))
        parts[subtype] = body.get_content() if body is not None else ""
    return parts


@signed_in
@role("admin", "Only admins can read the outbox.")
async def show_outbox(request: Request) -> Response:
    before = request.query_params.get("before")
    if before is not None and not (before.isascii() and before.isdecimal() and 0 < int(before) < 2**63):
        raise HTTPException(400, "That page link is not valid; start again from the first page.")
    page = await queries.list_outbox(request.app.state.db, before=int(before) if before else None)
    emails = [{"row": row, **_parts_of(row)} for row in page.rows]
    smtp_host = request.app.state.settings.smtp_host
    context = {"page": page, "emails": emails, "smtp_host": smtp_host, "secret_mask": secret_links.MASK}
    return render(request, "mail/show_outbox.html", context)


routes = [Route("/admin/outbox", show_outbox, name="show_outbox")]
