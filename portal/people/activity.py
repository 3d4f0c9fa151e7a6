"""The home activity feed: what happened lately on what a member follows.

Nothing is copied into a feed table: each kind of event is read from the rows that already
record it (ideas, comments, the ideas' timelines, replies), so an edit or a deleted comment
shows at once. The domains give the sources (their Domain's `activity_sources`, e.g.
ideas/people_queries.py) and a link per kind of row (`activity_links`). Each source gives
SELECTs with the same columns, newest first and a page long; the feed is their UNION ALL,
ordered by (at, kind, ref_id) descending, and continues with a keyset cursor on those three.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from jinja2 import pass_context

from portal.accounts.tables import users
from portal.db import Database, UTCDateTime, utcnow
from portal.paging import Page, page_of

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


def before(cursor: Cursor | None, kind: str, at: sa.ColumnElement, ref_id: sa.ColumnElement) -> Any:
    """Rows of one source that come after `cursor` in the feed's descending order."""
    if cursor is None:
        return sa.true()
    same_moment = sa.and_(at == cursor.at, ref_id < cursor.ref_id) if kind == cursor.kind else sa.false()
    if kind < cursor.kind:
        same_moment = at == cursor.at
    return sa.or_(at < cursor.at, same_moment)


@dataclass(frozen=True)
class Scope:
    """Whose feed, how far back, and where the page starts."""

    user_id: int
    since: datetime
    cursor: Cursor | None


def shape(kind: str, at, ref_id, idea_id, title, actor_id, detail) -> list:
    """The columns every source's SELECT gives, in this order (`idea_id`: what the row links to)."""
    return [
        at.label("at"),
        sa.literal_column(f"'{kind}'", sa.String).label("kind"),
        ref_id.label("ref_id"),
        idea_id.label("idea_id"),
        title.label("title"),
        actor_id.label("actor_id"),
        sa.cast(detail, sa.Text).label("detail"),
    ]


def not_by(column: sa.ColumnElement, user_id: int) -> sa.ColumnElement:
    return sa.or_(column.is_(None), column != user_id)


# A source (the domains' `activity_sources`): (db, Scope) -> SELECTs of the columns shape()
# gives, each newest first, a page long (PAGE_SIZE + 1 rows) and within the scope (`since`,
# and after `before(scope.cursor, ...)`). It may read what the member follows first, in one
# statement at most.
Source = Callable[[Database, "Scope"], Awaitable[list[sa.Select]]]


async def list_activity(
    db: Database, user_id: int, sources: Sequence[Source], *, cursor: Cursor | None = None, now=None
) -> Page:
    """One page of the member's feed, newest first: what the sources read first (the boards the
    member follows), then one statement."""
    scope = Scope(user_id, (now or utcnow()) - WINDOW, cursor)
    # Each SELECT is wrapped, so that its ORDER BY and LIMIT stay its own inside the UNION.
    branches = [sa.select(*select.subquery().c) for source in sources for select in await source(db, scope)]
    if not branches:
        return Page([])
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
    return page_of(rows, PAGE_SIZE, lambda last: str(Cursor(last["at"], last["kind"], last["ref_id"])))


@pass_context
def activity_link(context: Any, row: Any) -> str:
    """Where a row of the feed points (template global): the link its domain gives its kind."""
    return context["request"].app.state.assembly.activity_links[row["kind"]](row)
