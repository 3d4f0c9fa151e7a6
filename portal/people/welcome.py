"""What the welcome page shows: popular ideas, and a place for other domains' sections."""

from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from starlette.requests import Request

from ideas.tables import CLOSED_STATUSES, boards, ideas
from portal.db import Database

POPULAR_LIMIT = 5

# Other domains add sections here (discussions: open questions): an async function
# (db, request) returning a dict merged into the page's context, e.g. {"open_questions": [...]},
# which templates/people/_welcome_extras.html shows.
WelcomeSection = Callable[[Database, Request], Awaitable[dict[str, Any]]]
WELCOME_SECTIONS: list[WelcomeSection] = []


async def popular_ideas(db: Database) -> list[Any]:
    """The ideas still in play with the most votes (ties: newest)."""
    return await db.fetch_all(
        sa.select(
            ideas.c.id,
            ideas.c.title,
            ideas.c.status,
            ideas.c.vote_count,
            ideas.c.comment_count,
            boards.c.name.label("board_name"),
        )
        .join(boards, boards.c.id == ideas.c.board_id)
        .where(ideas.c.status.not_in(CLOSED_STATUSES))
        .order_by(ideas.c.vote_count.desc(), ideas.c.id.desc())
        .limit(POPULAR_LIMIT)
    )
