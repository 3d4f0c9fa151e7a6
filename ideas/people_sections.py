"""What the ideas add to the people pages (listed in ideas/domain.py): a member's ideas and
comments on their profile, the popular ideas on the welcome page, and the ideas' rows of the
activity feed (their SQL: ideas/people_queries.py)."""

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request

from ideas import people_queries
from ideas.forms import STATUS_LABELS
from portal.db import Database


async def ideas_on_profile(db: Database, request: Request, member: Any) -> dict[str, Any]:
    """Their counts, latest ideas, ideas shipped, and a page of comments (?before=<comment id>)."""
    before = None
    if request.query_params.get("before"):
        raw = request.query_params["before"]
        if not (raw.isascii() and raw.isdecimal() and len(raw) <= 18):
            raise HTTPException(400, "That page link is not valid; start again from the first page.")
        before = int(raw)
    counts = await people_queries.count_posts_by(db, member["id"])
    return {
        "idea_count": counts["idea_count"],
        "comment_count": counts["comment_count"],
        "ideas": await people_queries.ideas_by_member(db, member["id"]),
        "shipped": await people_queries.ideas_by_member(db, member["id"], status="shipped"),
        "comments": await people_queries.comments_by_member(db, member["id"], before=before),
        "statuses": STATUS_LABELS,
    }


async def popular_ideas(db: Database, request: Request) -> dict[str, Any]:
    return {"popular": await people_queries.popular_ideas(db), "statuses": STATUS_LABELS}
