"""Reads and writes of ideas, votes and comments: the only place their SQL lives."""

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ideas.tables import comments, ideas, votes
from portal.accounts.tables import users
from portal.db import Database, utcnow

SORTS = ("top", "new")
PAGE_SIZE = 20
COMMENT_PAGE_SIZE = 100

_AUTHOR_COLUMNS = (
    users.c.username.label("author_username"),
    users.c.display_name.label("author_display_name"),
    users.c.role.label("author_role"),
    users.c.is_founder.label("author_is_founder"),
)


class IdeaNotFound(Exception):
    pass


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_cursor: str | None


def _with_author(table: sa.Table) -> sa.Select:
    return sa.select(table, *_AUTHOR_COLUMNS).select_from(table.outerjoin(users, users.c.id == table.c.author_id))


def parse_cursor(sort: str, raw: str) -> tuple[int, ...]:
    """The position a page starts after; raises ValueError for a cursor this sort never made."""
    parts = tuple(int(part) for part in raw.split("."))
    if len(parts) != (2 if sort == "top" else 1) or any(part < 0 or part >= 2**63 for part in parts):
        raise ValueError(raw)
    return parts


async def list_ideas(db: Database, *, sort: str, after: tuple[int, ...] | None = None) -> Page:
    """One page of ideas, by votes (ties: newest first) or newest first; keyset, no OFFSET."""
    query = _with_author(ideas).limit(PAGE_SIZE + 1)
    if sort == "top":
        query = query.order_by(ideas.c.vote_count.desc(), ideas.c.id.desc())
        if after is not None:
            vote_count, idea_id = after
            query = query.where(
                sa.or_(
                    ideas.c.vote_count < vote_count,
                    sa.and_(ideas.c.vote_count == vote_count, ideas.c.id < idea_id),
                )
            )
    else:
        query = query.order_by(ideas.c.id.desc())
        if after is not None:
            query = query.where(ideas.c.id < after[0])
    rows = await db.fetch_all(query)
    if len(rows) <= PAGE_SIZE:
        return Page(rows, None)
    last = rows[PAGE_SIZE - 1]
    cursor = f"{last['vote_count']}.{last['id']}" if sort == "top" else str(last["id"])
    return Page(rows[:PAGE_SIZE], cursor)


async def get_idea(db: Database, idea_id: int) -> Any:
    row = await db.fetch_one(_with_author(ideas).where(ideas.c.id == idea_id))
    if row is None:
        raise IdeaNotFound(idea_id)
    return row


async def voted_idea_ids(db: Database, user_id: int, idea_ids: list[int]) -> set[int]:
    """Which of `idea_ids` the member voted for, in one query."""
    if not idea_ids:
        return set()
    rows = await db.fetch_all(
        sa.select(votes.c.idea_id).where(votes.c.user_id == user_id, votes.c.idea_id.in_(idea_ids))
    )
    return {row["idea_id"] for row in rows}


async def create_idea(db: Database, *, author_id: int, title: str, body: str, body_html: str) -> int:
    now = utcnow()
    return await db.fetch_val(
        ideas.insert()
        .values(author_id=author_id, title=title, body=body, body_html=body_html, created_at=now, updated_at=now)
        .returning(ideas.c.id)
    )


async def _require_idea(db: Database, idea_id: int) -> None:
    if await db.fetch_one(sa.select(ideas.c.id).where(ideas.c.id == idea_id)) is None:
        raise IdeaNotFound(idea_id)


async def add_vote(db: Database, idea_id: int, user_id: int) -> int:
    """Vote for an idea (again is a no-op); returns its vote count. Every member's vote weighs one."""
    async with db.transaction():
        await _require_idea(db, idea_id)
        inserted = await db.fetch_one(
            db.insert(votes)
            .values(idea_id=idea_id, user_id=user_id, created_at=utcnow())
            .on_conflict_do_nothing()
            .returning(votes.c.idea_id)
        )
        return await _change_vote_count(db, idea_id, 1 if inserted else 0)


async def remove_vote(db: Database, idea_id: int, user_id: int) -> int:
    """Take a vote back (none is a no-op); returns the idea's vote count."""
    async with db.transaction():
        await _require_idea(db, idea_id)
        deleted = await db.fetch_one(
            votes.delete().where(votes.c.idea_id == idea_id, votes.c.user_id == user_id).returning(votes.c.idea_id)
        )
        return await _change_vote_count(db, idea_id, -1 if deleted else 0)


async def _change_vote_count(db: Database, idea_id: int, delta: int) -> int:
    return await db.fetch_val(
        ideas.update()
        .where(ideas.c.id == idea_id)
        .values(vote_count=ideas.c.vote_count + delta)
        .returning(ideas.c.vote_count)
    )


async def list_comments(db: Database, idea_id: int, *, after: int | None = None) -> Page:
    """One page of an idea's comments, oldest first."""
    query = (
        _with_author(comments).where(comments.c.idea_id == idea_id).order_by(comments.c.id).limit(COMMENT_PAGE_SIZE + 1)
    )
    if after is not None:
        query = query.where(comments.c.id > after)
    rows = await db.fetch_all(query)
    if len(rows) <= COMMENT_PAGE_SIZE:
        return Page(rows, None)
    return Page(rows[:COMMENT_PAGE_SIZE], str(rows[COMMENT_PAGE_SIZE - 1]["id"]))


async def comment_page_cursor(db: Database, idea_id: int, comment_id: int) -> str | None:
    """The `after` cursor of the comment page that shows `comment_id` (None: the first page)."""
    position = await db.fetch_val(
        sa.select(sa.func.count()).where(comments.c.idea_id == idea_id, comments.c.id < comment_id)
    )
    page_start = position - position % COMMENT_PAGE_SIZE
    if page_start == 0:
        return None
    return str(
        await db.fetch_val(
            sa.select(comments.c.id)
            .where(comments.c.idea_id == idea_id)
            .order_by(comments.c.id)
            .offset(page_start - 1)
            .limit(1)
        )
    )


async def add_comment(db: Database, *, idea_id: int, author_id: int, body: str, body_html: str) -> int:
    async with db.transaction():
        await _require_idea(db, idea_id)
        now = utcnow()
        comment_id = await db.fetch_val(
            comments.insert()
            .values(idea_id=idea_id, author_id=author_id, body=body, body_html=body_html, created_at=now)
            .returning(comments.c.id)
        )
        await db.execute(
            ideas.update().where(ideas.c.id == idea_id).values(comment_count=ideas.c.comment_count + 1, updated_at=now)
        )
        return comment_id
