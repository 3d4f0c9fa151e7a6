"""Reads and writes of ideas, votes and comments: the only place their SQL lives."""

import functools
import json
from dataclasses import dataclass
from html import escape
from typing import Any

import sqlalchemy as sa

from ideas import following, ranking, search, tagging, webhook_events
from ideas.tables import (
    CLOSED_STATUSES,
    NO_VOTES_SCORE,
    boards,
    comments,
    idea_events,
    idea_follows,
    idea_reactions,
    ideas,
    votes,
)
from portal.accounts.tables import users
from portal.db import Database, utcnow
from portal.mentions import mentioned_audience, notify_mentioned
from portal.notifications.queries import Audience, notify_once
from portal.people.contribution import record_contribution
from portal.statements import kept

PAGE_SIZE = 20

_AUTHOR_COLUMNS = (
    users.c.username.label("author_username"),
    users.c.display_name.label("author_display_name"),
    users.c.role.label("author_role"),
    users.c.is_founder.label("author_is_founder"),
)


class IdeaNotFound(Exception):
    pass


class VoteRefused(Exception):
    """A vote the rules do not allow; the message says why."""


class StatusUnchanged(Exception):
    pass


class IdeaMerged(Exception):
    """The idea was merged into another: what happens next happens there."""

    def __init__(self, into_id: int) -> None:
        super().__init__(f"This idea was merged into idea #{into_id}; continue there.")
        self.into_id = into_id


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_cursor: str | None
    # The open boards (slug, name), when read with the page (list_ideas(with_boards=True)).
    boards: list[dict[str, str]] | None = None


def with_author(table: sa.Table) -> sa.Select:
    return sa.select(table, *_AUTHOR_COLUMNS).select_from(table.outerjoin(users, users.c.id == table.c.author_id))


def _with_board(query: sa.Select) -> sa.Select:
    return query.add_columns(
        boards.c.slug.label("board_slug"), boards.c.name.label("board_name"), boards.c.vote_budget
    ).join(boards, boards.c.id == ideas.c.board_id)


# What a row of an idea list shows (ideas/rows.py) and what the lists order by; no bodies.
_SUMMARY_COLUMNS = (
    ideas.c.id,
    ideas.c.title,
    ideas.c.status,
    ideas.c.vote_count,
    ideas.c.comment_count,
    ideas.c.trending_score,
    ideas.c.created_at,
    ideas.c.updated_at,
    ideas.c.hidden_at,
    ideas.c.hidden_reason,
)


def _summaries(dialect_name: str, viewer: bool) -> sa.Select:
    """What a list shows of each idea, with its tags and, for a member (bindparam viewer_id),
    whether they voted for it: one statement for the whole page."""
    query = sa.select(*_SUMMARY_COLUMNS, *_AUTHOR_COLUMNS, tagging.tags_column(dialect_name))
    if viewer:
        query = query.add_columns(_voted_by_viewer())
    return query.select_from(ideas.outerjoin(users, users.c.id == ideas.c.author_id))


@functools.cache
def _open_boards() -> sa.Select:
    return (
        sa.select(boards.c.slug, boards.c.name)
        .where(boards.c.is_archived == sa.false())
        .order_by(boards.c.is_archived, boards.c.position, boards.c.id)
    )


def _open_boards_column(dialect_name: str) -> sa.Label:
    """The open boards as JSON text, [[slug, name], ...] in the maintainers' order: computed once
    per statement and repeated on every row, so a page of ideas and the boards are one round trip."""
    ordered = _open_boards().subquery()
    if dialect_name == "postgresql":
        aggregate = sa.func.json_agg(sa.func.json_build_array(ordered.c.slug, ordered.c.name))
    else:
        aggregate = sa.func.json_group_array(sa.func.json_array(ordered.c.slug, ordered.c.name))
    return sa.select(aggregate).select_from(ordered).scalar_subquery().label("open_boards")


def _voted_by_viewer() -> sa.Label:
    """Whether member `viewer_id` voted for the row's idea: a look-up by the vote's key.

    Not EXISTS, which PostgreSQL may answer by hashing all the member's votes (a cost that grows
    with how much they voted), nor a join, which changes the order SQLite joins a board's list in.
    """
    return (
        sa.select(sa.true())
        .where(votes.c.idea_id == ideas.c.id, votes.c.user_id == sa.bindparam("viewer_id"))
        .scalar_subquery()
        .label("voted")
    )


@functools.cache
def _page_statement(
    dialect_name: str,
    sort_name: str,
    summary: bool,
    with_boards: bool,
    viewer: bool,
    after: bool,
    board: bool,
    status: bool,
    author: bool,
    tag: bool,
) -> sa.Select:
    """The statement for one shape of list, built once; its bindparam()s take the values."""
    sort = ranking.SORTS[sort_name]
    query = _summaries(dialect_name, viewer) if summary else with_author(ideas)
    if with_boards:
        query = query.add_columns(_open_boards_column(dialect_name))
    query = _with_board(query).order_by(*sort.order_by()).limit(PAGE_SIZE + 1)
    if after:
        query = query.where(sort.after())
    if board:
        query = query.where(ideas.c.board_id == sa.bindparam("board_id"))
    if status:
        query = query.where(ideas.c.status == sa.bindparam("status"))
    if author:
        query = query.where(ideas.c.author_id == sa.bindparam("author_id"))
    if tag:
        query = query.where(tagging.tagged(sa.bindparam("tag_id")))
    return query


def _page(
    dialect_name: str,
    sort: ranking.Sort,
    summary: bool,
    with_boards: bool = False,
    viewer_id: int | None = None,
    after: tuple | None = None,
    board_id: int | None = None,
    status: str | None = None,
    author_id: int | None = None,
    tag_id: int | None = None,
) -> tuple[sa.Select, dict[str, Any]]:
    filters = {"board_id": board_id, "status": status, "author_id": author_id, "tag_id": tag_id}
    values = {name: value for name, value in filters.items() if value is not None}
    if after is not None:
        values.update(sort.after_values(after))
    if viewer_id is not None:
        values["viewer_id"] = viewer_id
    shape = (viewer_id is not None, after is not None, *(value is not None for value in filters.values()))
    return _page_statement(dialect_name, sort.name, summary, with_boards, *shape), values


def ideas_query(*, dialect_name: str, sort: ranking.Sort, summary: bool = False, **filters: Any) -> sa.Select:
    """The statement behind one page of ideas (one row more, to know whether another page follows)."""
    statement, values = _page(dialect_name, sort, summary, **filters)
    return statement.params(values)


async def list_ideas(
    db: Database, *, sort: ranking.Sort, summary: bool = False, with_boards: bool = False, **filters: Any
) -> Page:
    """One page of ideas in `sort` order, ties broken by newest; keyset, never OFFSET.

    `summary`: only what a list shows (ideas/rows.py), with each idea's tags and, given
    `viewer_id`, whether that member voted for it; not the descriptions. `with_boards`: the open
    boards too, in the same statement (Page.boards), or a statement of their own for an empty page.
    """
    rows = await db.fetch_all(*_page(db.dialect_name, sort, summary, with_boards, **filters))
    open_boards = None
    if with_boards:
        if rows:
            pairs = json.loads(rows[0]["open_boards"] or "[]")
        else:
            pairs = [(row["slug"], row["name"]) for row in await db.fetch_all(_open_boards(), {})]
        open_boards = [{"slug": slug, "name": name} for slug, name in pairs]
    if len(rows) <= PAGE_SIZE:
        return Page(rows, None, open_boards)
    return Page(rows[:PAGE_SIZE], sort.cursor_of(rows[PAGE_SIZE - 1]), open_boards)


async def ideas_by_ids(
    db: Database, idea_ids: list[int], *, summary: bool = False, viewer_id: int | None = None
) -> list[Any]:
    """The ideas with these ids, in the order given (for ranked search results).

    `summary` and `viewer_id`: as for list_ideas().
    """
    if not idea_ids:
        return []
    values = {"idea_ids": idea_ids} if viewer_id is None else {"idea_ids": idea_ids, "viewer_id": viewer_id}
    rows = await db.fetch_all(_by_ids(db.dialect_name, summary, viewer_id is not None), values)
    by_id = {row["id"]: row for row in rows}
    return [by_id[idea_id] for idea_id in idea_ids if idea_id in by_id]


@kept
def _idea(idea_id: int) -> sa.Select:
    return _with_board(with_author(ideas)).where(ideas.c.id == idea_id)


@functools.cache
def _by_ids(dialect_name: str, summary: bool, viewer: bool) -> sa.Select:
    query = _summaries(dialect_name, viewer) if summary else with_author(ideas)
    return _with_board(query).where(ideas.c.id.in_(sa.bindparam("idea_ids", expanding=True)))


@functools.cache
def idea_statement(dialect_name: str, viewer: bool) -> sa.Select:
    """The idea with its board, author and tags and, for a member (viewer_id), their vote, their
    reactions and whether they follow it: what its page needs of it, in one statement. Whether it
    has a history too, so that the page asks for it only then."""
    query = _with_board(with_author(ideas))
    # The reaction counts as their JSON text, parsed only when the page renders the idea anew (ideas/rows.py).
    query = query.with_only_columns(
        *(
            sa.type_coerce(column, sa.Text).label("reaction_counts") if column is ideas.c.reaction_counts else column
            for column in query.selected_columns
        )
    ).add_columns(
        tagging.tags_column(dialect_name),
        sa.exists().where(idea_events.c.idea_id == ideas.c.id).label("has_events"),
    )
    if viewer:
        viewer_id = sa.bindparam("viewer_id")
        query = query.add_columns(
            _voted_by_viewer(),
            sa.select(idea_follows.c.following)
            .where(idea_follows.c.idea_id == ideas.c.id, idea_follows.c.user_id == viewer_id)
            .scalar_subquery()
            .label("following"),
            sa.type_coerce(
                sa.select(tagging.json_list(dialect_name, idea_reactions.c.reaction))
                .where(idea_reactions.c.idea_id == ideas.c.id, idea_reactions.c.user_id == viewer_id)
                .scalar_subquery(),
                sa.JSON,
            ).label("my_reactions"),
        )
    return query.where(ideas.c.id == sa.bindparam("idea_id"))


async def get_idea(db: Database, idea_id: int) -> Any:
    row = await db.fetch_one(*_idea(idea_id))
    if row is None:
        raise IdeaNotFound(idea_id)
    return row


_VOTED = sa.select(votes.c.idea_id).where(
    votes.c.user_id == sa.bindparam("user_id"), votes.c.idea_id.in_(sa.bindparam("idea_ids", expanding=True))
)


async def voted_idea_ids(db: Database, user_id: int, idea_ids: list[int]) -> set[int]:
    """Which of `idea_ids` the member voted for, in one query."""
    if not idea_ids:
        return set()
    rows = await db.fetch_all(_VOTED, {"user_id": user_id, "idea_ids": idea_ids})
    return {row["idea_id"] for row in rows}


async def create_idea(
    db: Database, *, board_id: int, author_id: int, title: str, body: str, body_html: str, mentioned: list[int] = ()
) -> int:
    now = utcnow()
    async with db.transaction():
        idea_id = await db.fetch_val(
            ideas.insert()
            .values(
                board_id=board_id,
                author_id=author_id,
                title=title,
                body=body,
                body_html=body_html,
                created_at=now,
                updated_at=now,
            )
            .returning(ideas.c.id)
        )
        await db.execute(boards.update().where(boards.c.id == board_id).values(idea_count=boards.c.idea_count + 1))
        await search.index_idea(db, idea_id=idea_id, title=title, body=body)
        await following.follow_automatically(db, author_id, idea_id)
        board_name = await db.fetch_val(sa.select(boards.c.name).where(boards.c.id == board_id))
        # One notification each: whoever the idea mentions hears of the mention, not also as a follower.
        await notify_once(
            db,
            [
                await mentioned_audience(
                    db,
                    kind="idea",
                    target_id=idea_id,
                    user_ids=list(mentioned),
                    actor_id=author_id,
                    subject=f"mentioned you in the idea “{title}”",
                ),
                Audience(
                    following.board_followers_of(board_id, except_user_id=author_id),
                    "idea",
                    f"shared a new idea on {board_name}: “{title}”",
                ),
            ],
            actor_id=author_id,
            path=f"/ideas/{idea_id}",
        )
        await webhook_events.idea_event(db, "idea.created", idea_id)
        return idea_id


async def _tell_mentioned(db: Database, idea_id: int, mentioned: list[int], actor_id: int, title: str) -> None:
    await notify_mentioned(
        db,
        kind="idea",
        target_id=idea_id,
        user_ids=list(mentioned),
        actor_id=actor_id,
        subject=f"mentioned you in the idea “{title}”",
        path=f"/ideas/{idea_id}",
    )


async def mark_responded(db: Database, idea_id: int, moment: Any) -> None:
    """Record the first maintainer response (an official comment, a status change or a merge)."""
    await db.execute(
        ideas.update()
        .where(ideas.c.id == idea_id, ideas.c.first_response_at.is_(None))
        .values(first_response_at=moment)
    )


async def lock_idea(db: Database, idea_id: int) -> Any:
    """The idea's row, locked until the transaction ends; refuses a merged duplicate.

    Every lock on ideas here is FOR NO KEY UPDATE: it orders writers to the row but lets other
    transactions insert rows that reference it (votes, comments, search documents).
    """
    idea = await db.fetch_one(
        sa.select(
            ideas.c.status,
            ideas.c.title,
            ideas.c.merged_into_id,
            ideas.c.author_id,
            ideas.c.hidden_at,
            ideas.c.locked_at,
        )
        .where(ideas.c.id == idea_id)
        .with_for_update(key_share=True)
    )
    if idea is None:
        raise IdeaNotFound(idea_id)
    if idea["merged_into_id"] is not None:
        raise IdeaMerged(idea["merged_into_id"])
    return idea


async def title_of(db: Database, idea_id: int) -> str:
    title = await db.fetch_val(sa.select(ideas.c.title).where(ideas.c.id == idea_id))
    if title is None:
        raise IdeaNotFound(idea_id)
    return title


async def _lock_idea_for_vote(db: Database, idea_id: int, user_id: int, *, adding: bool) -> Any:
    """The idea's row, locked until the transaction ends, once the board's rules allow the vote.

    (SQLite's writes are serialized already; on PostgreSQL the row lock orders votes on one
    idea, and the member's row lock orders one member's votes against a board's budget.)
    """
    row = await db.fetch_one(_vote_statements(db.dialect_name).lock_idea, {"idea_id": idea_id})
    if row is None:
        raise IdeaNotFound(idea_id)
    if row["hidden_at"] is not None:
        raise VoteRefused("A moderator hid this idea: it takes no votes while hidden.")
    if row["status"] in CLOSED_STATUSES:
        status = row["status"].replace("_", " ")
        raise VoteRefused(f"This idea is {status}, so it takes no more votes and its votes cannot be taken back.")
    refusal = board_closed_reason(row)
    if refusal:
        raise VoteRefused(refusal)
    if adding and row["vote_budget"] is not None:
        await db.fetch_one(sa.select(users.c.id).where(users.c.id == user_id).with_for_update(key_share=True))
        used = await count_budget_votes(db, board_id=row["board_id"], user_id=user_id)
        already = await db.fetch_one(
            sa.select(votes.c.idea_id).where(votes.c.idea_id == idea_id, votes.c.user_id == user_id)
        )
        if used >= row["vote_budget"] and already is None:
            raise VoteRefused(
                f"You have used all {row['vote_budget']} of your votes on this board. "
                "Take back a vote from another idea here to vote for this one."
            )
    return row


def board_closed_reason(board: Any, now=None) -> str | None:
    """Why a board takes no new ideas or votes right now, or None when it does."""
    now = now or utcnow()
    if board["is_archived"]:
        return "This board is archived: it takes no new ideas or votes."
    if board["opens_at"] is not None and now < board["opens_at"]:
        return f"This campaign opens on {board['opens_at']:%Y-%m-%d}; come back then."
    if board["closes_at"] is not None and now >= board["closes_at"]:
        return "This campaign is closed: it takes no new ideas or votes."
    return None


@kept
def _budget_votes(board_id: int, user_id: int) -> sa.Select:
    return (
        sa.select(sa.func.count())
        .select_from(votes.join(ideas, ideas.c.id == votes.c.idea_id))
        .where(votes.c.user_id == user_id, ideas.c.board_id == board_id, ideas.c.status.not_in(CLOSED_STATUSES))
    )


async def count_budget_votes(db: Database, *, board_id: int, user_id: int) -> int:
    """The member's votes that count against a board's budget: those on its ideas still in play."""
    return await db.fetch_val(*_budget_votes(board_id, user_id))


async def add_vote(db: Database, idea_id: int, user_id: int) -> int:
    """Vote for an idea (again is a no-op); returns its vote count. Every member's vote weighs one."""
    statements = _vote_statements(db.dialect_name)
    if statements.add_at_once is not None:
        now = utcnow()
        exponent = ranking.vote_weight_exponent(now)
        values = {"idea_id": idea_id, "user_id": user_id, "created_at": now, "now": now, "exponent": exponent}
        row = await db.fetch_one(statements.add_at_once, values)
        if row is not None:
            return row["vote_count"]
        # Refused, already voted, or a board with a budget: the path that says why.
    async with db.transaction():
        idea = await _lock_idea_for_vote(db, idea_id, user_id, adding=True)
        now = utcnow()
        vote_row = {"idea_id": idea_id, "user_id": user_id, "created_at": now}
        inserted = await db.fetch_one(statements.insert_vote, vote_row)
        if not inserted:
            return idea["vote_count"]
        # The follow that following.follow_automatically() makes, in a statement written once.
        await db.execute(statements.follow, vote_row)
        score = ranking.add_vote_to_score(idea["trending_score"], ranking.vote_weight_exponent(now))
        return await _change_vote_count(db, idea_id, 1, score)


async def remove_vote(db: Database, idea_id: int, user_id: int) -> int:
    """Take a vote back (none is a no-op); returns the idea's vote count."""
    statements = _vote_statements(db.dialect_name)
    if statements.remove_at_once is not None:
        row = await db.fetch_one(statements.remove_at_once, {"idea_id": idea_id, "user_id": user_id, "now": utcnow()})
        if row is not None:
            return row["vote_count"]
        # Refused, no vote to take back, or a score to recount from the rows: the general path.
    async with db.transaction():
        idea = await _lock_idea_for_vote(db, idea_id, user_id, adding=False)
        deleted = await db.fetch_one(statements.delete_vote, {"idea_id": idea_id, "user_id": user_id})
        if not deleted:
            return idea["vote_count"]
        score = ranking.remove_vote_from_score(
            idea["trending_score"], ranking.vote_weight_exponent(deleted["created_at"])
        )
        if score is None:
            score = await _recount_trending_score(db, idea_id)
        return await _change_vote_count(db, idea_id, -1, score)


async def _recount_trending_score(db: Database, idea_id: int) -> float:
    rows = await db.fetch_all(sa.select(votes.c.created_at).where(votes.c.idea_id == idea_id))
    return ranking.score_of([ranking.vote_weight_exponent(row["created_at"]) for row in rows])


async def _change_vote_count(db: Database, idea_id: int, delta: int, trending_score: float) -> int:
    statement = _vote_statements(db.dialect_name).change_count
    return await db.fetch_val(statement, {"idea_id": idea_id, "delta": delta, "trending_score": trending_score})


@dataclass(frozen=True)
class _VoteStatements:
    lock_idea: sa.TextClause
    insert_vote: sa.TextClause
    follow: sa.TextClause
    delete_vote: sa.TextClause
    change_count: sa.TextClause
    # PostgreSQL only: the whole vote, or taking it back, in one statement (see _pg_vote_at_once).
    add_at_once: sa.TextClause | None = None
    remove_at_once: sa.TextClause | None = None


@functools.cache
def _vote_statements(dialect_name: str) -> _VoteStatements:
    """A vote's statements, written once and run with their values (Database.fetch_one(statement, values)).

    Building a SQLAlchemy Core statement costs more than running it on SQLite (0.1-0.3 ms for the
    lock's join, against ~0.03 ms to fill these in); a vote is small enough for that to have been
    most of its time. The SQL is the same on both databases but for the row lock.
    """
    lock = " FOR NO KEY UPDATE OF ideas" if dialect_name == "postgresql" else ""
    created_at = sa.bindparam("created_at", type_=ideas.c.created_at.type)
    return _VoteStatements(
        lock_idea=sa.text(
            "SELECT ideas.id, ideas.board_id, ideas.status, ideas.hidden_at, ideas.vote_count, ideas.trending_score,"
            " boards.vote_budget, boards.opens_at, boards.closes_at, boards.is_archived"
            f" FROM ideas JOIN boards ON boards.id = ideas.board_id WHERE ideas.id = :idea_id{lock}"
        ).columns(
            ideas.c.id,
            ideas.c.board_id,
            ideas.c.status,
            ideas.c.hidden_at,
            ideas.c.vote_count,
            ideas.c.trending_score,
            boards.c.vote_budget,
            boards.c.opens_at,
            boards.c.closes_at,
            boards.c.is_archived,
        ),
        insert_vote=sa.text(
            "INSERT INTO votes (idea_id, user_id, created_at) VALUES (:idea_id, :user_id, :created_at)"
            " ON CONFLICT DO NOTHING RETURNING idea_id"
        )
        .bindparams(created_at)
        .columns(votes.c.idea_id),
        follow=sa.text(
            "INSERT INTO idea_follows (user_id, idea_id, following, created_at)"
            " VALUES (:user_id, :idea_id, :following, :created_at) ON CONFLICT DO NOTHING"
        ).bindparams(created_at, sa.bindparam("following", True, type_=sa.Boolean)),
        delete_vote=sa.text(
            "DELETE FROM votes WHERE idea_id = :idea_id AND user_id = :user_id RETURNING created_at"
        ).columns(votes.c.created_at),
        change_count=sa.text(
            "UPDATE ideas SET vote_count = vote_count + :delta, trending_score = :trending_score"
            " WHERE id = :idea_id RETURNING vote_count"
        )
        .bindparams(sa.bindparam("trending_score", type_=sa.Float))
        .columns(ideas.c.vote_count),
        **(_pg_vote_at_once(created_at) if dialect_name == "postgresql" else {}),
    )


# An idea that takes votes from anyone, as _lock_idea_for_vote() and board_closed_reason() judge it,
# on a board without a budget.
_VOTABLE_IDEA = f"""SELECT ideas.id, ideas.trending_score FROM ideas JOIN boards ON boards.id = ideas.board_id
    WHERE ideas.id = :idea_id AND ideas.hidden_at IS NULL
    AND ideas.status NOT IN ({", ".join(f"'{status}'" for status in CLOSED_STATUSES)})
    AND boards.vote_budget IS NULL AND NOT boards.is_archived
    AND (boards.opens_at IS NULL OR boards.opens_at <= :now) AND (boards.closes_at IS NULL OR boards.closes_at > :now)
    FOR NO KEY UPDATE OF ideas"""
# ranking.add_vote_to_score() and remove_vote_from_score() in SQL; powers of two below 2**-1000 are
# taken as 2**-1000, which changes no sum of doubles (PostgreSQL would raise on the underflow).
_LOG2 = "/ ln(2::float8)"
_ADD_TO_SCORE = f"""CASE WHEN ideas.trending_score <= {NO_VOTES_SCORE!r} THEN :exponent
    ELSE GREATEST(ideas.trending_score, :exponent) + ln(1 + power(2::float8,
        GREATEST(LEAST(ideas.trending_score, :exponent) - GREATEST(ideas.trending_score, :exponent), -1000))) {_LOG2}
    END"""
_VOTE_EXPONENT = (
    f"(EXTRACT(EPOCH FROM votes.created_at - TIMESTAMPTZ '{ranking.EPOCH.isoformat()}')"
    f" / {ranking.HALF_LIFE.total_seconds()!r})::float8"
)
_SHARE_OF_OTHERS = f"1 - power(2::float8, GREATEST({_VOTE_EXPONENT} - idea.trending_score, -1000))"


def _pg_vote_at_once(created_at: sa.BindParameter) -> dict[str, sa.TextClause]:
    """A vote, or taking it back, as one statement: no BEGIN and COMMIT, one round trip instead of six.

    The CTE locks the idea only if it takes votes (FOR NO KEY UPDATE re-checks the conditions on
    the newest row), so the vote row and the count change together or not at all; the UPDATE
    reads the newest count under that lock. No row back means nothing was written, and the
    caller takes the general path, which says why (or finds the vote already there, or recounts
    a score that lost its precision: taking back a vote that outweighed all the others together
    more than a billion times).
    """
    exponent = sa.bindparam("exponent", type_=sa.Float)
    add = sa.text(
        f"""WITH idea AS ({_VOTABLE_IDEA}),
        vote AS (INSERT INTO votes (idea_id, user_id, created_at) SELECT id, :user_id, :created_at FROM idea
            ON CONFLICT DO NOTHING RETURNING idea_id),
        follow AS (INSERT INTO idea_follows (user_id, idea_id, following, created_at)
            SELECT :user_id, idea_id, true, :created_at FROM vote ON CONFLICT DO NOTHING)
        UPDATE ideas SET vote_count = ideas.vote_count + 1, trending_score = {_ADD_TO_SCORE}
        FROM vote WHERE ideas.id = vote.idea_id RETURNING ideas.vote_count"""
    )
    remove = sa.text(
        f"""WITH idea AS ({_VOTABLE_IDEA}),
        vote AS (DELETE FROM votes USING idea WHERE votes.idea_id = idea.id AND votes.user_id = :user_id
            AND {_VOTE_EXPONENT} <= idea.trending_score AND {_SHARE_OF_OTHERS} >= 1e-9
            RETURNING votes.idea_id, {_SHARE_OF_OTHERS} AS share_of_others)
        UPDATE ideas SET vote_count = ideas.vote_count - 1,
            trending_score = ideas.trending_score + ln(vote.share_of_others) {_LOG2}
        FROM vote WHERE ideas.id = vote.idea_id RETURNING ideas.vote_count"""
    )
    now = sa.bindparam("now", type_=ideas.c.created_at.type)
    return {
        "add_at_once": add.bindparams(created_at, now, exponent).columns(ideas.c.vote_count),
        "remove_at_once": remove.bindparams(now).columns(ideas.c.vote_count),
    }


async def change_status(
    db: Database, *, idea_id: int, actor_id: int, status: str, note: str, note_html: str, announce: bool = True
) -> None:
    """Move an idea to `status` and add the public note to its timeline, in one transaction.

    Followers hear of it unless `announce` is off (a release announces its ideas itself).
    """
    async with db.transaction():
        idea = await lock_idea(db, idea_id)
        current = idea["status"]
        if current == status:
            raise StatusUnchanged(status)
        now = utcnow()
        await db.execute(
            idea_events.insert().values(
                idea_id=idea_id,
                actor_id=actor_id,
                kind="status",
                from_status=current,
                to_status=status,
                note=note,
                note_html=note_html,
                created_at=now,
            )
        )
        await db.execute(ideas.update().where(ideas.c.id == idea_id).values(status=status, updated_at=now))
        await mark_responded(db, idea_id, now)
        if "shipped" in (current, status):
            # The author's profile counts the ideas they helped ship (and un-ship).
            await record_contribution(db, idea["author_id"], ideas_shipped=1 if status == "shipped" else -1)
        await webhook_events.idea_event(db, "idea.status_changed", idea_id, previous_status=current)
        if status == "shipped":
            await webhook_events.idea_event(db, "idea.shipped", idea_id)
        if announce:
            label = status.replace("_", " ")
            await following.tell_followers(
                db, idea_id, kind="status", actor_id=actor_id, subject=f"moved “{idea['title']}” to {label}"
            )


@kept
def _events(idea_id: int) -> sa.Select:
    related = ideas.alias("related")
    return (
        sa.select(idea_events, *_AUTHOR_COLUMNS, related.c.title.label("related_title"))
        .select_from(
            idea_events.outerjoin(users, users.c.id == idea_events.c.actor_id).outerjoin(
                related, related.c.id == idea_events.c.related_idea_id
            )
        )
        .where(idea_events.c.idea_id == idea_id)
        .order_by(idea_events.c.id)
    )


async def list_events(db: Database, idea_id: int) -> list[Any]:
    """The idea's timeline, oldest first, with the other idea of a merge."""
    return await db.fetch_all(*_events(idea_id))


class MergeRefused(Exception):
    """A merge the rules do not allow; the message says why."""


async def merge_ideas(
    db: Database, *, duplicate_id: int, into_id: int, actor_id: int, note: str, note_html: str
) -> None:
    """Merge idea `duplicate_id` into `into_id`: votes (each member once), comments and followers move,
    the duplicate points to the other idea, and both timelines say so."""
    if duplicate_id == into_id:
        raise MergeRefused("An idea cannot be merged into itself.")
    async with db.transaction():
        locked = await db.fetch_all(
            sa.select(
                ideas.c.id, ideas.c.title, ideas.c.status, ideas.c.comment_count, ideas.c.author_id, ideas.c.hidden_at
            )
            .where(ideas.c.id.in_([duplicate_id, into_id]))
            .order_by(ideas.c.id)
            .with_for_update(key_share=True)
        )
        found = {row["id"]: row for row in locked}
        if into_id not in found:
            raise MergeRefused(f"There is no idea #{into_id} to merge into.")
        if duplicate_id not in found:
            raise IdeaNotFound(duplicate_id)
        duplicate, target = found[duplicate_id], found[into_id]
        if duplicate["status"] == "duplicate":
            raise MergeRefused("This idea has been merged already.")
        if target["status"] == "duplicate":
            raise MergeRefused(f"Idea #{into_id} is itself a duplicate: merge into the idea it points to.")

        now = utcnow()
        moved_votes = sa.select(sa.literal(into_id, ideas.c.id.type), votes.c.user_id, votes.c.created_at).where(
            votes.c.idea_id == duplicate_id
        )
        await db.execute(
            db.insert(votes).from_select(["idea_id", "user_id", "created_at"], moved_votes).on_conflict_do_nothing()
        )
        await db.execute(votes.delete().where(votes.c.idea_id == duplicate_id))
        await db.execute(comments.update().where(comments.c.idea_id == duplicate_id).values(idea_id=into_id))
        await search.move_documents(db, from_idea_id=duplicate_id, to_idea_id=into_id)
        vote_count = await db.fetch_val(sa.select(sa.func.count()).select_from(votes).where(votes.c.idea_id == into_id))
        await db.execute(
            ideas.update()
            .where(ideas.c.id == into_id)
            .values(
                vote_count=vote_count,
                trending_score=await _recount_trending_score(db, into_id),
                comment_count=ideas.c.comment_count + duplicate["comment_count"],
                updated_at=now,
            )
        )
        await db.execute(
            ideas.update()
            .where(ideas.c.id == duplicate_id)
            .values(
                status="duplicate",
                merged_into_id=into_id,
                vote_count=0,
                trending_score=NO_VOTES_SCORE,
                comment_count=0,
                updated_at=now,
            )
        )
        event = {"actor_id": actor_id, "note": note, "note_html": note_html, "created_at": now}
        await db.execute(
            idea_events.insert().values(
                idea_id=duplicate_id,
                kind="merge",
                from_status=duplicate["status"],
                to_status="duplicate",
                related_idea_id=into_id,
                **event,
            )
        )
        await db.execute(
            idea_events.insert().values(idea_id=into_id, kind="merged_in", related_idea_id=duplicate_id, **event)
        )
        await mark_responded(db, duplicate_id, now)
        if duplicate["status"] == "shipped":
            await record_contribution(db, duplicate["author_id"], ideas_shipped=-1)
        await webhook_events.idea_event(db, "idea.status_changed", duplicate_id, previous_status=duplicate["status"])
        await following.move_followers(db, from_idea_id=duplicate_id, to_idea_id=into_id)
        await following.tell_followers(
            db,
            into_id,
            kind="merge",
            actor_id=actor_id,
            # A hidden idea's title stays out of the notification (the target's is marked when hidden).
            subject=f"merged {_quoted_unless_hidden(duplicate)} into {_quoted_unless_hidden(target)}",
        )


def _quoted_unless_hidden(idea: Any) -> str:
    return "a hidden idea" if idea["hidden_at"] is not None else f"“{idea['title']}”"


async def edit_idea(
    db: Database,
    *,
    idea_id: int,
    editor_id: int,
    by_author: bool,
    title: str,
    body: str,
    body_html: str,
    note: str = "",
    mentioned: list[int] = (),
) -> None:
    """Change an idea's text. A maintainer's edit of someone else's idea goes into its public history."""
    async with db.transaction():
        await title_of(db, idea_id)
        now = utcnow()
        await db.execute(
            ideas.update()
            .where(ideas.c.id == idea_id)
            .values(title=title, body=body, body_html=body_html, edited_at=now, updated_at=now)
        )
        await search.index_idea(db, idea_id=idea_id, title=title, body=body)
        await _tell_mentioned(db, idea_id, mentioned, editor_id, title)
        if not by_author:
            await db.execute(
                idea_events.insert().values(
                    idea_id=idea_id,
                    actor_id=editor_id,
                    kind="edit",
                    note=note,
                    note_html=render_plain(note),
                    created_at=now,
                )
            )


def render_plain(text: str) -> str:
    return f"<p>{escape(text)}</p>" if text else ""


async def idea_hidden(db: Database, idea_id: int) -> bool:
    return bool(await db.fetch_val(sa.select(ideas.c.hidden_at.is_not(None)).where(ideas.c.id == idea_id)))
