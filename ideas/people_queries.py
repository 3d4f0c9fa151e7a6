"""What the ideas show on the people pages, read in one place: a member's ideas and comments on
their profile, the popular ideas on the welcome page, and the ideas' rows of the activity feed
(new ideas on the boards a member follows, comments and status changes on the ideas they follow)."""

from typing import Any

import sqlalchemy as sa

from ideas.tables import CLOSED_STATUSES, board_follows, boards, comments, idea_events, idea_follows, ideas
from portal.db import Database
from portal.people import activity
from portal.people.queries import Page

COMMENTS_PAGE = 20
PROFILE_IDEAS = 10
POPULAR_LIMIT = 5


async def count_posts_by(db: Database, user_id: int) -> Any:
    """How many ideas the member wrote, and how many of their comments are not deleted."""
    idea_count = sa.select(sa.func.count()).where(ideas.c.author_id == user_id).scalar_subquery()
    comment_count = (
        sa.select(sa.func.count())
        .where(comments.c.author_id == user_id, comments.c.deleted_at.is_(None))
        .scalar_subquery()
    )
    return await db.fetch_one(sa.select(idea_count.label("idea_count"), comment_count.label("comment_count")))


def _idea_columns() -> tuple:
    return (
        ideas.c.id,
        ideas.c.title,
        ideas.c.status,
        ideas.c.vote_count,
        ideas.c.comment_count,
        ideas.c.created_at,
        boards.c.slug.label("board_slug"),
        boards.c.name.label("board_name"),
    )


async def ideas_by_member(db: Database, user_id: int, *, status: str | None = None) -> list[Any]:
    """The member's latest ideas (or those with `status`), newest first."""
    query = (
        sa.select(*_idea_columns())
        .join(boards, boards.c.id == ideas.c.board_id)
        # What moderators hid is not shown on profiles either.
        .where(ideas.c.author_id == user_id, ideas.c.hidden_at.is_(None))
        .order_by(ideas.c.id.desc())
        .limit(PROFILE_IDEAS)
    )
    if status is not None:
        query = query.where(ideas.c.status == status)
    return await db.fetch_all(query)


async def comments_by_member(db: Database, user_id: int, *, before: int | None = None) -> Page:
    """The member's comments, newest first, with the idea each is on; keyset by comment id."""
    query = (
        sa.select(
            comments.c.id,
            comments.c.idea_id,
            comments.c.body_html,
            comments.c.created_at,
            ideas.c.title.label("idea_title"),
        )
        .join(ideas, ideas.c.id == comments.c.idea_id)
        .where(
            comments.c.author_id == user_id,
            comments.c.deleted_at.is_(None),
            comments.c.hidden_at.is_(None),
            ideas.c.hidden_at.is_(None),
        )
        .order_by(comments.c.id.desc())
        .limit(COMMENTS_PAGE + 1)
    )
    if before is not None:
        query = query.where(comments.c.id < before)
    rows = await db.fetch_all(query)
    if len(rows) <= COMMENTS_PAGE:
        return Page(rows, None)
    return Page(rows[:COMMENTS_PAGE], str(rows[COMMENTS_PAGE - 1]["id"]))


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


async def idea_activity(db: Database, scope: activity.Scope) -> list[sa.Select]:
    """The ideas' source of the activity feed: the boards the member follows, read first, then
    new ideas on them and comments and status changes on the ideas the member follows."""
    board_ids = tuple(
        row["board_id"]
        for row in await db.fetch_all(
            sa.select(board_follows.c.board_id).where(board_follows.c.user_id == scope.user_id)
        )
    )
    return [*_new_ideas(scope, board_ids), *_new_comments(scope, board_ids), *_status_changes(scope, board_ids)]


# Where each kind of the ideas' rows in the feed points, from its row.
ACTIVITY_LINKS = {
    "idea": lambda row: f"/ideas/{row['idea_id']}",
    "comment": lambda row: f"/ideas/{row['idea_id']}#comment-{row['ref_id']}",
    "status": lambda row: f"/ideas/{row['idea_id']}#timeline",
}


def _followed_branches(
    scope: activity.Scope,
    board_ids: tuple[int, ...],
    query: sa.Select,
    *,
    kind: str,
    idea_id,
    board_id,
    at,
    ref_id,
    boards_only: bool = False,
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
    query = query.where(at >= scope.since, activity.before(scope.cursor, kind, at, ref_id))
    branches = [] if boards_only else [query.where(idea_id.in_(explicit))]
    if board_ids:
        skipped = follows.where(idea_follows.c.following == sa.false()) if boards_only else follows
        branches.append(query.where(board_id.in_(board_ids), idea_id.not_in(skipped)))
    return [branch.order_by(at.desc(), ref_id.desc()).limit(activity.PAGE_SIZE + 1) for branch in branches]


def _new_ideas(scope: activity.Scope, board_ids: tuple[int, ...]) -> list[sa.Select]:
    excerpt = sa.func.substr(ideas.c.body, 1, activity.EXCERPT)
    query = sa.select(
        *activity.shape("idea", ideas.c.created_at, ideas.c.id, ideas.c.id, ideas.c.title, ideas.c.author_id, excerpt)
    ).where(activity.not_by(ideas.c.author_id, scope.user_id))
    return _followed_branches(
        scope,
        board_ids,
        query,
        kind="idea",
        idea_id=ideas.c.id,
        board_id=ideas.c.board_id,
        at=ideas.c.created_at,
        ref_id=ideas.c.id,
        boards_only=True,
    )


def _new_comments(scope: activity.Scope, board_ids: tuple[int, ...]) -> list[sa.Select]:
    excerpt = sa.func.substr(comments.c.body, 1, activity.EXCERPT)
    query = (
        sa.select(
            *activity.shape(
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
        .where(comments.c.deleted_at.is_(None), activity.not_by(comments.c.author_id, scope.user_id))
    )
    return _followed_branches(
        scope,
        board_ids,
        query,
        kind="comment",
        idea_id=comments.c.idea_id,
        board_id=ideas.c.board_id,
        at=comments.c.created_at,
        ref_id=comments.c.id,
    )


def _status_changes(scope: activity.Scope, board_ids: tuple[int, ...]) -> list[sa.Select]:
    query = (
        sa.select(
            *activity.shape(
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
        .where(idea_events.c.kind.in_(("status", "merge")), activity.not_by(idea_events.c.actor_id, scope.user_id))
    )
    return _followed_branches(
        scope,
        board_ids,
        query,
        kind="status",
        idea_id=idea_events.c.idea_id,
        board_id=ideas.c.board_id,
        at=idea_events.c.created_at,
        ref_id=idea_events.c.id,
    )
