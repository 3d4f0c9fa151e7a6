"""Welcome and activity: the page a new member lands on, and the feed of what they follow."""

from datetime import timedelta
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal.access import signed_in
from portal.accounts import queries as account_queries
from portal.db import utcnow
from portal.people import activity
from portal.people import queries as people_queries
from portal.templating import render

CODE_OF_CONDUCT_PATH = "/code-of-conduct"
# The marks move at most this often, so reading the feed is not a write per request...
SEEN_REFRESH = timedelta(minutes=5)
# ...and a look after this long a pause is a new visit.
NEW_VISIT_AFTER = timedelta(minutes=30)


async def welcome(request: Request) -> Response:
    db = request.app.state.db
    context: dict[str, Any] = {
        "code_of_conduct_path": CODE_OF_CONDUCT_PATH,
        "unconfirmed_email": None,
    }
    if request.user.is_authenticated:
        member = await account_queries.get_user_by_id(db, request.user.id)
        if member is not None and member["email_verified_at"] is None:
            context["unconfirmed_email"] = member["email"]
    # The domains' welcome_sections (popular ideas, open questions): each returns a dict merged
    # into the context, which templates/people/welcome.html and _welcome_extras.html show.
    for section in request.app.state.assembly.welcome_sections:
        context.update(await section(db, request))
    return render(request, "people/welcome.html", context)


@signed_in
async def show_activity(request: Request) -> Response:
    cursor = None
    if request.query_params.get("after"):
        try:
            cursor = activity.Cursor.parse(request.query_params["after"])
        except ValueError:
            raise HTTPException(400, "That page link is not valid; start again from the first page.") from None
    db = request.app.state.db
    now = utcnow()
    previous = await people_queries.note_visit(
        db, request.user.id, now=now, refresh_after=SEEN_REFRESH, new_visit_after=NEW_VISIT_AFTER
    )
    sources = request.app.state.assembly.activity_sources
    page = await activity.list_activity(db, request.user.id, sources, cursor=cursor, now=now)
    context = {"page": page, "previous_visit": previous}
    return render(request, "people/show_activity.html", context)


routes = [
    Route("/welcome", welcome, name="welcome"),
    Route("/activity", show_activity, name="show_activity"),
]
