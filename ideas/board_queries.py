"""Reads and writes of boards: the SQL of boards and campaigns."""

from typing import Any

import sqlalchemy as sa

from ideas.tables import boards, ideas
from portal.db import Database, utcnow
from portal.errors import NotFound
from portal.statements import kept_by_shape


class BoardNotFound(NotFound):
    message = "There is no board at that address."


class SlugTaken(Exception):
    pass


@kept_by_shape
def _boards(include_archived: bool) -> sa.Select:
    query = sa.select(boards).order_by(boards.c.is_archived, boards.c.position, boards.c.id)
    return query if include_archived else query.where(boards.c.is_archived == sa.false())


async def list_boards(db: Database, *, include_archived: bool = False) -> list[Any]:
    """Boards in the maintainers' order; archived ones last when asked for."""
    return await db.fetch_all(_boards(include_archived), {})


async def get_board_by_slug(db: Database, slug: str) -> Any:
    row = await db.fetch_one(sa.select(boards).where(boards.c.slug == slug))
    if row is None:
        raise BoardNotFound(slug)
    return row


async def get_board(db: Database, board_id: int) -> Any:
    row = await db.fetch_one(sa.select(boards).where(boards.c.id == board_id))
    if row is None:
        raise BoardNotFound(board_id)
    return row


async def create_board(db: Database, **values: Any) -> int:
    async with db.transaction():
        if await db.fetch_one(sa.select(boards.c.id).where(boards.c.slug == values["slug"])) is not None:
            raise SlugTaken(values["slug"])
        if "position" not in values:
            values["position"] = await db.fetch_val(sa.select(sa.func.coalesce(sa.func.max(boards.c.position), 0) + 1))
        try:
            return await db.fetch_val(boards.insert().values(created_at=utcnow(), **values).returning(boards.c.id))
        except Exception as error:
            if db.is_unique_violation(error):
                raise SlugTaken(values["slug"]) from None
            raise


async def update_board(db: Database, board_id: int, **values: Any) -> None:
    async with db.transaction():
        slug = values.get("slug")
        if slug is not None and await db.fetch_one(
            sa.select(boards.c.id).where(boards.c.slug == slug, boards.c.id != board_id)
        ):
            raise SlugTaken(slug)
        updated = await db.fetch_one(
            boards.update().where(boards.c.id == board_id).values(**values).returning(boards.c.id)
        )
        if updated is None:
            raise BoardNotFound(board_id)


async def board_summary(db: Database, board_id: int) -> dict[str, Any]:
    """What a campaign gathered and what became of it: ideas and votes by status."""
    rows = await db.fetch_all(
        sa.select(ideas.c.status, sa.func.count().label("ideas"), sa.func.sum(ideas.c.vote_count).label("votes"))
        .where(ideas.c.board_id == board_id)
        .group_by(ideas.c.status)
    )
    by_status = {row["status"]: row["ideas"] for row in rows}
    return {
        "ideas": sum(by_status.values()),
        "votes": sum(int(row["votes"] or 0) for row in rows),
        "by_status": by_status,
    }
