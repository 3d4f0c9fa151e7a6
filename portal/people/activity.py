"""The home activity feed: what happened lately on the ideas and boards a member follows.

Nothing is copied into a feed table: each kind of event is read from the rows that already
record it (ideas, comments, the ideas' timelines), so an edit or a deleted comment shows at
once. Each source is one SELECT with the same columns, newest first and limited; the feed is
their UNION ALL, ordered by (at, kind, ref_id) descending, and continues with a keyset cursor
on those three. Other domains (discussions) add a source with `ACTIVITY_SOURCES.append(...)`
and a link for their kinds in `ACTIVITY_LINKS`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ideas.tables import board_follows, comments, idea_events, idea_follows, ideas
from portal.accounts.tables import users
from portal.db import Database, UTCDateTime, utcnow

PAGE_SIZE = 30
EXCERPT = 200
# Only this far back: a feed is about what is new, and the bound keeps every source's scan short.
WINDOW = timedelta(days=60)


@dataclass(frozen=True)
class Cursor:
    at: datetime
    kind: str
    ref_id: int

    def __str__(self) -> str:
        return f"{self.at.isoformat()}~{self.kind}~{self.ref_id}"

    @classmethod
    def parse(cls, value: str) -> "Cursor":
        at, kind, ref_id = value.split("~")
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or not kind.isidentifier() or not ref_id.isdecimal() or len(ref_id) > 18:
            raise ValueError(value)
        return cls(moment, kind, int(ref_id))


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_cursor: str | None


def _before(cursor: Cursor | None, kind: str, at: sa.ColumnElement, ref_id: sa.ColumnElement) -> Any:
    """Rows of one source that come after `cursor` in the feed's descending order."""
    if cursor is None:
        return sa.true()
    same_moment = sa.and_(at == cursor.at, ref_id < cursor.ref_id) if kind == cursor.kind else sa.false()
    if kind < cursor.kind:
        same_moment = at == cursor.at
    return sa.or_(at < cursor.at, same_moment)


def _followed(user_id: int, idea_id: sa.ColumnElement, board_id: sa.ColumnElement) -> sa.ColumnElement:
    """Whether the member follows this idea, or its board without having unfollowed the idea."""
    follows = sa.select(idea_follows.c.following).where(
        idea_follows.c.user_id == user_id, idea_follows.c.idea_id == idea_id
    )
    on_board = sa.exists().where(board_follows.c.user_id == user_id, board_follows.c.board_id == board_id)
    return sa.or_(
        follows.where(idea_follows.c.following == sa.true()).exists(),
        sa.and_(on_board, ~follows.where(idea_follows.c.following == sa.false()).exists()),
    )


def _shape(kind: str, at, ref_id, idea_id, title, actor_id, detail) -> list:
    return [
        at.label("at"),
        sa.literal_column(f"'{kind}'", sa.String).label("kind"),
        ref_id.label("ref_id"),
        idea_id.label("idea_id"),
        title.label("title"),
        actor_id.label("actor_id"),
        sa.cast(detail, sa.Text).label("detail"),
    ]


def new_ideas(user_id: int, since: datetime, cursor: Cursor | None) -> sa.Select:
    kind = "idea"
    return (
        sa.select(
            *_shape(
                kind,
                ideas.c.created_at,
                ideas.c.id,
                ideas.c.id,
                ideas.c.title,
                ideas.c.author_id,
                sa.func.substr(ideas.c.body, 1, EXCERPT),
            )
        )
        .where(
            ideas.c.created_at >= since,
            sa.or_(ideas.c.author_id.is_(None), ideas.c.author_id != user_id),
            _followed(user_id, ideas.c.id, ideas.c.board_id),
            _before(cursor, kind, ideas.c.created_at, ideas.c.id),
        )
        .order_by(ideas.c.created_at.desc(), ideas.c.id.desc())
        .limit(PAGE_SIZE + 1)
    )


def new_comments(user_id: int, since: datetime, cursor: Cursor | None) -> sa.Select:
    kind = "comment"
    return (
        sa.select(
            *_shape(
                kind,
                comments.c.created_at,
                comments.c.id,
                comments.c.idea_id,
                ideas.c.title,
                comments.c.author_id,
                sa.func.substr(comments.c.body, 1, EXCERPT),
            )
        )
        .join(ideas, ideas.c.id == comments.c.idea_id)
        .where(
            comments.c.created_at >= since,
            comments.c.deleted_at.is_(None),
            sa.or_(comments.c.author_id.is_(None), comments.c.author_id != user_id),
            _followed(user_id, ideas.c.id, ideas.c.board_id),
            _before(cursor, kind, comments.c.created_at, comments.c.id),
        )
        .order_by(comments.c.created_at.desc(), comments.c.id.desc())
        .limit(PAGE_SIZE + 1)
    )


def status_changes(user_id: int, since: datetime, cursor: Cursor | None) -> sa.Select:
    kind = "status"
    return (
        sa.select(
            *_shape(
                kind,
                idea_events.c.created_at,
                idea_events.c.id,
                idea_events.c.idea_id,
                ideas.c.title,
                idea_events.c.actor_id,
                idea_events.c.to_status,
            )
        )
        .join(ideas, ideas.c.id == idea_events.c.idea_id)
        .where(
            idea_events.c.created_at >= since,
            idea_events.c.kind.in_(("status", "merge")),
            sa.or_(idea_events.c.actor_id.is_(None), idea_events.c.actor_id != user_id),
            _followed(user_id, ideas.c.id, ideas.c.board_id),
            _before(cursor, kind, idea_events.c.created_at, idea_events.c.id),
        )
        .order_by(idea_events.c.created_at.desc(), idea_events.c.id.desc())
        .limit(PAGE_SIZE + 1)
    )


# A source: (member id, earliest moment, cursor) -> a SELECT of the columns _shape() gives.
Source = Callable[[int, datetime, Cursor | None], sa.Select]
ACTIVITY_SOURCES: list[Source] = [new_ideas, new_comments, status_changes]
# Where each kind of row points, from its row.
ACTIVITY_LINKS: dict[str, Callable[[Any], str]] = {
    "idea": lambda row: f"/ideas/{row['idea_id']}",
    "comment": lambda row: f"/ideas/{row['idea_id']}#comment-{row['ref_id']}",
    "status": lambda row: f"/ideas/{row['idea_id']}#timeline",
}


async def list_activity(db: Database, user_id: int, *, cursor: Cursor | None = None, now=None) -> Page:
    """One page of the member's feed, newest first, in one statement."""
    since = (now or utcnow()) - WINDOW
    # Each source is wrapped, so that its ORDER BY and LIMIT stay its own inside the UNION.
    branches = [sa.select(*source(user_id, since, cursor).subquery().c) for source in ACTIVITY_SOURCES]
    feed = sa.union_all(*branches).subquery("feed")
    at = sa.type_coerce(feed.c.at, UTCDateTime())
    rows = await db.fetch_all(
        sa.select(
            at.label("at"),
            feed.c.kind,
            feed.c.ref_id,
            feed.c.idea_id,
            feed.c.title,
            feed.c.detail,
            users.c.username.label("actor_username"),
            users.c.display_name.label("actor_display_name"),
            users.c.role.label("actor_role"),
            users.c.is_founder.label("actor_is_founder"),
        )
        .select_from(feed.outerjoin(users, users.c.id == feed.c.actor_id))
        .order_by(feed.c.at.desc(), feed.c.kind.desc(), feed.c.ref_id.desc())
        .limit(PAGE_SIZE + 1)
    )
    if len(rows) <= PAGE_SIZE:
        return Page(rows, None)
    last = rows[PAGE_SIZE - 1]
    return Page(rows[:PAGE_SIZE], str(Cursor(last["at"], last["kind"], last["ref_id"])))


def link_of(row: Any) -> str:
    return ACTIVITY_LINKS[row["kind"]](row)
