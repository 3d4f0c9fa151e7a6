"""The home activity feed: what happened lately on the ideas and boards a member follows.

Nothing is copied into a feed table: each kind of event is read from the rows that already
record it (ideas, comments, the ideas' timelines), so an edit or a deleted comment shows at
once. Each source gives SELECTs with the same columns, newest first and a page long; the feed
is their UNION ALL, ordered by (at, kind, ref_id) descending, and continues with a keyset
cursor on those three. Other domains (discussions) add a source with
`ACTIVITY_SOURCES.append(...)` (using `_followed_branches` or their own follows) and a link for
their kinds in `ACTIVITY_LINKS`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ideas.tables import board_follows, comments, idea_events, idea_follows, ideas
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


def _before(cursor: Cursor | None, kind: str, at: sa.ColumnElement, ref_id: sa.ColumnElement) -> Any:
    """Rows of one source that come after `cursor` in the feed's descending order."""
    if cursor is None:
        return sa.true()
    same_moment = sa.and_(at == cursor.at, ref_id < cursor.ref_id) if kind == cursor.kind else sa.false()
    if kind < cursor.kind:
        same_moment = at == cursor.at
    return sa.or_(at < cursor.at, same_moment)


@dataclass(frozen=True)
class Scope:
    """Whose feed, which boards they follow, how far back, and where the page starts."""

    user_id: int
    board_ids: tuple[int, ...]
    since: datetime
    cursor: Cursor | None


def _followed_branches(
    scope: Scope, query: sa.Select, *, kind: str, idea_id, board_id, at, ref_id, boards_only: bool = False
) -> list[sa.Select]:
    """`query` restricted to what the member follows, as one or two SELECTs newest first.

    One for the ideas they follow themselves (a short list: the database starts from it,
    through the idea_id indexes), one for the boards they follow (the newest rows through the
    created_at indexes, until a page is full), without the ideas they follow or unfollowed
    (the member's idea_follows rows). Both are a page long; a member who follows no board
    gets no second SELECT, so a quiet member's feed never walks the whole window.
    `boards_only`: only the boards (a new idea is news on a board; an idea one follows is
    known already).
    """
    follows = sa.select(idea_follows.c.idea_id).where(idea_follows.c.user_id == scope.user_id)
    explicit = follows.where(idea_follows.c.following == sa.true())
    query = query.where(at >= scope.since, _before(scope.cursor, kind, at, ref_id))
    branches = [] if boards_only else [query.where(idea_id.in_(explicit))]
    if scope.board_ids:
        skipped = follows.where(idea_follows.c.following == sa.false()) if boards_only else follows
        branches.append(query.where(board_id.in_(scope.board_ids), idea_id.not_in(skipped)))
    return [branch.order_by(at.desc(), ref_id.desc()).limit(PAGE_SIZE + 1) for branch in branches]


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


def _not_by(column: sa.ColumnElement, user_id: int) -> sa.ColumnElement:
    return sa.or_(column.is_(None), column != user_id)


def new_ideas(scope: Scope) -> list[sa.Select]:
    excerpt = sa.func.substr(ideas.c.body, 1, EXCERPT)
    query = sa.select(
        *_shape("idea", ideas.c.created_at, ideas.c.id, ideas.c.id, ideas.c.title, ideas.c.author_id, excerpt)
    ).where(_not_by(ideas.c.author_id, scope.user_id))
    return _followed_branches(
        scope,
        query,
        kind="idea",
        idea_id=ideas.c.id,
        board_id=ideas.c.board_id,
        at=ideas.c.created_at,
        ref_id=ideas.c.id,
        boards_only=True,
    )


def new_comments(scope: Scope) -> list[sa.Select]:
    excerpt = sa.func.substr(comments.c.body, 1, EXCERPT)
    query = (
        sa.select(
            *_shape(
                "comment",
                comments.c.created_at,
                comments.c.id,
                comments.c.idea_id,
                ideas.c.title,
                comments.c.author_id,
                excerpt,
            )
        )
        .join(ideas, ideas.c.id == comments.c.idea_id)
        .where(comments.c.deleted_at.is_(None), _not_by(comments.c.author_id, scope.user_id))
    )
    return _followed_branches(
        scope,
        query,
        kind="comment",
        idea_id=comments.c.idea_id,
        board_id=ideas.c.board_id,
        at=comments.c.created_at,
        ref_id=comments.c.id,
    )


def status_changes(scope: Scope) -> list[sa.Select]:
    query = (
        sa.select(
            *_shape(
                "status",
                idea_events.c.created_at,
                idea_events.c.id,
                idea_events.c.idea_id,
                ideas.c.title,
                idea_events.c.actor_id,
                idea_events.c.to_status,
            )
        )
        .join(ideas, ideas.c.id == idea_events.c.idea_id)
        .where(idea_events.c.kind.in_(("status", "merge")), _not_by(idea_events.c.actor_id, scope.user_id))
    )
    return _followed_branches(
        scope,
        query,
        kind="status",
        idea_id=idea_events.c.idea_id,
        board_id=ideas.c.board_id,
        at=idea_events.c.created_at,
        ref_id=idea_events.c.id,
    )


# A source: Scope -> SELECTs of the columns _shape() gives, each newest first and a page long.
Source = Callable[[Scope], list[sa.Select]]
ACTIVITY_SOURCES: list[Source] = [new_ideas, new_comments, status_changes]
# Where each kind of row points, from its row.
ACTIVITY_LINKS: dict[str, Callable[[Any], str]] = {
    "idea": lambda row: f"/ideas/{row['idea_id']}",
    "comment": lambda row: f"/ideas/{row['idea_id']}#comment-{row['ref_id']}",
    "status": lambda row: f"/ideas/{row['idea_id']}#timeline",
}


async def list_activity(db: Database, user_id: int, *, cursor: Cursor | None = None, now=None) -> Page:
    """One page of the member's feed, newest first: the boards they follow, then one statement."""
    board_ids = tuple(
        row["board_id"]
        for row in await db.fetch_all(sa.select(board_follows.c.board_id).where(board_follows.c.user_id == user_id))
    )
    scope = Scope(user_id, board_ids, (now or utcnow()) - WINDOW, cursor)
    # Each SELECT is wrapped, so that its ORDER BY and LIMIT stay its own inside the UNION.
    branches = [sa.select(*select.subquery().c) for source in ACTIVITY_SOURCES for select in source(scope)]
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


def link_of(row: Any) -> str:
    return ACTIVITY_LINKS[row["kind"]](row)
