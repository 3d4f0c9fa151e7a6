"""What the Atom feeds of new ideas and new discussion threads show: the newest few, never hidden."""

from typing import Any

import sqlalchemy as sa

from ideas.discussions.tables import discussion_categories, threads
from ideas.tables import boards, ideas
from portal.accounts.tables import users
from portal.db import Database

# A feed reader asks again every few minutes: it needs what is new, not the archive.
FEED_SIZE = 50


def latest_ideas_query(board_id: int | None = None, limit: int = FEED_SIZE) -> sa.Select:
    """Newest first: the primary key read backwards, or ix_ideas_board_new for one board."""
    query = (
        sa.select(
            ideas.c.id,
            ideas.c.title,
            ideas.c.body_html,
            ideas.c.created_at,
            ideas.c.edited_at,
            users.c.display_name.label("author_display_name"),
            boards.c.name.label("board_name"),
        )
        .select_from(
            ideas.join(boards, boards.c.id == ideas.c.board_id).outerjoin(users, users.c.id == ideas.c.author_id)
        )
        .where(ideas.c.hidden_at.is_(None))
        .order_by(ideas.c.id.desc())
        .limit(limit)
    )
    if board_id is not None:
        query = query.where(ideas.c.board_id == board_id)
    return query


def latest_threads_query(category_id: int, limit: int = FEED_SIZE) -> sa.Select:
    """Newest first through ix_threads_category_new."""
    return (
        sa.select(
            threads.c.id,
            threads.c.title,
            threads.c.body_html,
            threads.c.created_at,
            threads.c.edited_at,
            users.c.display_name.label("author_display_name"),
            discussion_categories.c.name.label("category_name"),
        )
        .select_from(
            threads.join(discussion_categories, discussion_categories.c.id == threads.c.category_id).outerjoin(
                users, users.c.id == threads.c.author_id
            )
        )
        .where(threads.c.category_id == category_id, threads.c.hidden_at.is_(None))
        .order_by(threads.c.id.desc())
        .limit(limit)
    )


async def latest_ideas(db: Database, *, board_id: int | None = None) -> list[Any]:
    """The newest ideas not hidden by a moderator, on one board or on all."""
    return await db.fetch_all(latest_ideas_query(board_id))


async def latest_threads(db: Database, *, category_id: int) -> list[Any]:
    """The newest threads of a discussion category not hidden by a moderator."""
    return await db.fetch_all(latest_threads_query(category_id))
