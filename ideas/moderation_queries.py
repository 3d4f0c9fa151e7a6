"""What moderators do to ideas and comments (called by moderation/): hide, restore, lock, move."""

from datetime import datetime

import sqlalchemy as sa

from ideas import search
from ideas.comment_queries import CommentNotFound
from ideas.queries import IdeaNotFound, with_author
from ideas.tables import boards, comments, ideas
from portal.db import Database


async def set_idea_hidden(db: Database, idea_id: int, *, reason: str | None, now: datetime) -> None:
    """Hide with a public reason, or (reason None) show again."""
    changed = await db.fetch_one(
        ideas.update()
        .where(ideas.c.id == idea_id)
        .values(hidden_at=now if reason is not None else None, hidden_reason=reason)
        .returning(ideas.c.id)
    )
    if changed is None:
        raise IdeaNotFound(idea_id)


async def set_comment_hidden(db: Database, comment_id: int, *, reason: str | None, now: datetime) -> None:
    """Hide with a public reason, or (reason None) show again; a hidden comment's words find
    nothing in search (its document is removed, and written again when it is shown)."""
    changed = await db.fetch_one(
        comments.update()
        .where(comments.c.id == comment_id)
        .values(hidden_at=now if reason is not None else None, hidden_reason=reason)
        .returning(comments.c.idea_id, comments.c.body, comments.c.deleted_at)
    )
    if changed is None:
        raise CommentNotFound(comment_id)
    if reason is not None or changed["deleted_at"] is not None:
        await search.remove_comment(db, comment_id=comment_id)
    else:
        await search.index_comment(db, comment_id=comment_id, idea_id=changed["idea_id"], body=changed["body"])


async def set_idea_locked(db: Database, idea_id: int, *, locked: bool, now: datetime) -> None:
    changed = await db.fetch_one(
        ideas.update().where(ideas.c.id == idea_id).values(locked_at=now if locked else None).returning(ideas.c.id)
    )
    if changed is None:
        raise IdeaNotFound(idea_id)


async def move_idea(db: Database, idea_id: int, board_id: int) -> tuple[str, str]:
    """Move an idea to another board, counters included; returns (from name, to name)."""
    async with db.transaction():
        row = await db.fetch_one(
            sa.select(ideas.c.board_id).where(ideas.c.id == idea_id).with_for_update(key_share=True)
        )
        if row is None:
            raise IdeaNotFound(idea_id)
        names = {
            board["id"]: board["name"]
            for board in await db.fetch_all(
                sa.select(boards.c.id, boards.c.name).where(boards.c.id.in_([row["board_id"], board_id]))
            )
        }
        await db.execute(ideas.update().where(ideas.c.id == idea_id).values(board_id=board_id))
        for moved_from, delta in ((row["board_id"], -1), (board_id, 1)):
            await db.execute(
                boards.update().where(boards.c.id == moved_from).values(idea_count=boards.c.idea_count + delta)
            )
        return names[row["board_id"]], names[board_id]


async def comments_by_ids(db: Database, comment_ids: list[int]) -> dict[int, object]:
    """Comments with their idea's title, for the moderation queue."""
    if not comment_ids:
        return {}
    rows = await db.fetch_all(
        with_author(comments)
        .add_columns(ideas.c.title.label("idea_title"))
        .join(ideas, ideas.c.id == comments.c.idea_id)
        .where(comments.c.id.in_(comment_ids))
    )
    return {row["id"]: row for row in rows}
