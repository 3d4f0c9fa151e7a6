"""Votes: the rule that says whether an idea takes them, casting one and taking it back.

The rule is stated once, in Python: refusal() (with board_closed_reason() and over_budget()),
which every path asks. PostgreSQL casts a vote in one statement, for speed; that statement needs
the rule in SQL, TAKES_VOTES, written right below its Python twin. Both paths run on the same
cases in tests/ideas/test_vote_rule.py.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ideas import ranking
from ideas.queries import IdeaNotFound, recount_trending_score
from ideas.tables import CLOSED_STATUSES, boards, ideas, votes
from portal.accounts.tables import users
from portal.db import Database, utcnow
from portal.errors import Conflict
from portal.statements import kept, kept_by_shape


class VoteRefused(Conflict):
    """A vote the rules do not allow; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message=message)


def board_closed_reason(board: Any, now: datetime | None = None) -> str | None:
    """Why a board takes no new ideas or votes right now, or None when it does."""
    now = now or utcnow()
    if board["is_archived"]:
        return "This board is archived: it takes no new ideas or votes."
    if board["opens_at"] is not None and now < board["opens_at"]:
        return f"This campaign opens on {board['opens_at']:%Y-%m-%d}; come back then."
    if board["closes_at"] is not None and now >= board["closes_at"]:
        return "This campaign is closed: it takes no new ideas or votes."
    return None


# board_closed_reason() is None, in SQL (boards, at the moment :now).
BOARD_OPEN = (
    "NOT boards.is_archived"
    " AND (boards.opens_at IS NULL OR boards.opens_at <= :now)"
    " AND (boards.closes_at IS NULL OR boards.closes_at > :now)"
)


def refusal(idea: Any, now: datetime | None = None) -> str | None:
    """Why nobody may vote for `idea` (or take a vote back) right now, or None when anyone may.

    `idea`: the idea's hidden_at and status with its board's is_archived, opens_at and closes_at.
    A board with a budget asks over_budget() too.
    """
    if idea["hidden_at"] is not None:
        return "A moderator hid this idea: it takes no votes while hidden."
    if idea["status"] in CLOSED_STATUSES:
        status = idea["status"].replace("_", " ")
        return f"This idea is {status}, so it takes no more votes and its votes cannot be taken back."
    return board_closed_reason(idea, now)


# refusal() is None, in SQL (ideas JOIN boards, at the moment :now).
_CLOSED = ", ".join(f"'{status}'" for status in CLOSED_STATUSES)
TAKES_VOTES = f"ideas.hidden_at IS NULL AND ideas.status NOT IN ({_CLOSED}) AND {BOARD_OPEN}"


def over_budget(budget: int | None, used: int, *, already_voted: bool) -> str | None:
    """Why a member who used `used` of a board's `budget` votes may not add one, or None.

    A vote already cast is no new vote: voting again stays a no-op. Not in SQL: the one statement
    leaves boards with a budget to the general path.
    """
    if budget is None or used < budget or already_voted:
        return None
    return (
        f"You have used all {budget} of your votes on this board. "
        "Take back a vote from another idea here to vote for this one."
    )


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
    vote_count = await add_vote_at_once(db, idea_id, user_id)
    if vote_count is not None:
        return vote_count
    # Refused, already voted, a board with a budget, or SQLite: the path that says why.
    return await add_vote_in_steps(db, idea_id, user_id)


async def remove_vote(db: Database, idea_id: int, user_id: int) -> int:
    """Take a vote back (none is a no-op); returns the idea's vote count."""
    vote_count = await remove_vote_at_once(db, idea_id, user_id)
    if vote_count is not None:
        return vote_count
    # Refused, no vote to take back, a score to recount from the rows, or SQLite: the general path.
    return await remove_vote_in_steps(db, idea_id, user_id)


async def add_vote_at_once(db: Database, idea_id: int, user_id: int) -> int | None:
    """PostgreSQL's one-statement vote: the idea's new vote count, or None when it wrote nothing
    (or on SQLite), and add_vote_in_steps() is to decide."""
    statement = _vote_statements(db.dialect_name).add_at_once
    if statement is None:
        return None
    now = utcnow()
    exponent = ranking.vote_weight_exponent(now)
    values = {"idea_id": idea_id, "user_id": user_id, "created_at": now, "now": now, "exponent": exponent}
    row = await db.fetch_one(statement, values)
    return None if row is None else row["vote_count"]


async def remove_vote_at_once(db: Database, idea_id: int, user_id: int) -> int | None:
    """Taking a vote back in one statement on PostgreSQL: as add_vote_at_once()."""
    statement = _vote_statements(db.dialect_name).remove_at_once
    if statement is None:
        return None
    row = await db.fetch_one(statement, {"idea_id": idea_id, "user_id": user_id, "now": utcnow()})
    return None if row is None else row["vote_count"]


async def add_vote_in_steps(db: Database, idea_id: int, user_id: int) -> int:
    """The general path of add_vote(): lock, check the rule, write, in one transaction."""
    statements = _vote_statements(db.dialect_name)
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


async def remove_vote_in_steps(db: Database, idea_id: int, user_id: int) -> int:
    """The general path of remove_vote()."""
    statements = _vote_statements(db.dialect_name)
    async with db.transaction():
        idea = await _lock_idea_for_vote(db, idea_id, user_id, adding=False)
        deleted = await db.fetch_one(statements.delete_vote, {"idea_id": idea_id, "user_id": user_id})
        if not deleted:
            return idea["vote_count"]
        score = ranking.remove_vote_from_score(
            idea["trending_score"], ranking.vote_weight_exponent(deleted["created_at"])
        )
        if score is None:
            score = await recount_trending_score(db, idea_id)
        return await _change_vote_count(db, idea_id, -1, score)


async def _lock_idea_for_vote(db: Database, idea_id: int, user_id: int, *, adding: bool) -> Any:
    """The idea's row, locked until the transaction ends, once the rule allows the vote.

    (SQLite's writes are serialized already; on PostgreSQL the row lock orders votes on one
    idea, and the member's row lock orders one member's votes against a board's budget.)
    """
    row = await db.fetch_one(_vote_statements(db.dialect_name).lock_idea, {"idea_id": idea_id})
    if row is None:
        raise IdeaNotFound(idea_id)
    reason = refusal(row)
    if reason:
        raise VoteRefused(reason)
    if adding and row["vote_budget"] is not None:
        await db.fetch_one(sa.select(users.c.id).where(users.c.id == user_id).with_for_update(key_share=True))
        used = await count_budget_votes(db, board_id=row["board_id"], user_id=user_id)
        already = await db.fetch_one(
            sa.select(votes.c.idea_id).where(votes.c.idea_id == idea_id, votes.c.user_id == user_id)
        )
        reason = over_budget(row["vote_budget"], used, already_voted=already is not None)
        if reason:
            raise VoteRefused(reason)
    return row


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


@kept_by_shape
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


# An idea that takes votes from anyone (TAKES_VOTES) on a board without a budget, locked.
_VOTABLE_IDEA = f"""SELECT ideas.id, ideas.trending_score FROM ideas JOIN boards ON boards.id = ideas.board_id
    WHERE ideas.id = :idea_id AND {TAKES_VOTES} AND boards.vote_budget IS NULL
    FOR NO KEY UPDATE OF ideas"""
_SHARE_OF_OTHERS = ranking.sql_share_without_vote(
    "idea.trending_score", ranking.sql_vote_weight_exponent("votes.created_at")
)


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
        UPDATE ideas SET vote_count = ideas.vote_count + 1,
            trending_score = {ranking.sql_add_vote_to_score("ideas.trending_score", ":exponent")}
        FROM vote WHERE ideas.id = vote.idea_id RETURNING ideas.vote_count"""
    )
    remove = sa.text(
        f"""WITH idea AS ({_VOTABLE_IDEA}),
        vote AS (DELETE FROM votes USING idea WHERE votes.idea_id = idea.id AND votes.user_id = :user_id
            AND {_SHARE_OF_OTHERS} >= {ranking.RECOUNT_BELOW!r}
            RETURNING votes.idea_id, {_SHARE_OF_OTHERS} AS share_of_others)
        UPDATE ideas SET vote_count = ideas.vote_count - 1,
            trending_score = {ranking.sql_minus_share("ideas.trending_score", "vote.share_of_others")}
        FROM vote WHERE ideas.id = vote.idea_id RETURNING ideas.vote_count"""
    )
    now = sa.bindparam("now", type_=ideas.c.created_at.type)
    return {
        "add_at_once": add.bindparams(created_at, now, exponent).columns(ideas.c.vote_count),
        "remove_at_once": remove.bindparams(now).columns(ideas.c.vote_count),
    }
