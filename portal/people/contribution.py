"""Counters of a member's visible contribution, and the one function other domains call to move them.

Ranking in the directory follows these counters only, never a role: a founder's shipped idea
counts as much as anyone's. The score is stored (and indexed) so that the directory reads one
index in order instead of computing a sum per member per request.
"""

import sqlalchemy as sa

from portal.db import Database, utcnow
from portal.people.tables import profiles

# Points per counted contribution: a shipped idea changed the product, an accepted answer
# helped one person, a linked commit is one step of code.
WEIGHTS = {"ideas_shipped": 5, "accepted_answers": 3, "linked_commits": 1}


def score_expression() -> sa.ColumnElement:
    return sum((profiles.c[name] * weight for name, weight in WEIGHTS.items()), sa.literal(0))


async def ensure_profile(db: Database, user_id: int) -> None:
    """The member's profile row, created empty if it is missing (accounts create it with the user)."""
    await db.execute(db.insert(profiles).values(user_id=user_id).on_conflict_do_nothing())


async def record_contribution(
    db: Database, user_id: int | None, *, accepted_answers: int = 0, linked_commits: int = 0, ideas_shipped: int = 0
) -> None:
    """Add (or with negative numbers take back) contributions to a member's counters.

    Call it inside the transaction that writes what it counts (an answer accepted, a commit
    linked, an idea shipped), so that counters and rows never disagree. A counter never goes
    below zero. `user_id` None (a deleted member's post) changes nothing.
    """
    deltas = {"accepted_answers": accepted_answers, "linked_commits": linked_commits, "ideas_shipped": ideas_shipped}
    if user_id is None or not any(deltas.values()):
        return
    async with db.transaction():
        await ensure_profile(db, user_id)
        values = {
            name: sa.case((profiles.c[name] + delta < 0, 0), else_=profiles.c[name] + delta)
            for name, delta in deltas.items()
            if delta
        }
        await db.execute(profiles.update().where(profiles.c.user_id == user_id).values(**values))
        await db.execute(
            profiles.update()
            .where(profiles.c.user_id == user_id)
            .values(contribution_score=score_expression(), updated_at=utcnow())
        )
