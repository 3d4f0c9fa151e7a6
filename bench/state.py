"""What a benchmark database holds, through the project's code: run.py calls this as a
separate process, so that it reads the database with the very code being measured.

    .venv/bin/python bench/state.py scale URL        # the scale it was seeded at, or null
    .venv/bin/python bench/state.py check URL        # stored counters that differ from their rows
    .venv/bin/python bench/state.py take-back URL    # take back the bench member's votes

Each prints one JSON value.
"""

import asyncio
import json
import sys

import sqlalchemy as sa

from ideas import votes as idea_votes
from ideas.tables import boards, comments, ideas, votes
from portal import schema
from portal.accounts.tables import users
from portal.db import Database

from scales import BENCH_MEMBER_ID, BENCH_USERNAME, SCALES


async def seeded_scale(db: Database) -> str | None:
    """The scale the database was seeded at; None when it is empty, or something else.

    A database seeded by older code is upgraded in place (new tables stay empty) rather than
    seeded again: at M, seeding takes minutes.
    """
    try:
        if await schema.current_revisions(db) != schema.head_revisions(db.url):
            await asyncio.to_thread(schema.upgrade, db.url)
        idea_count = await db.fetch_val(sa.select(sa.func.count()).select_from(ideas))
        member_count = await db.fetch_val(sa.select(sa.func.count()).select_from(users))
        bench = await db.fetch_val(sa.select(users.c.id).where(users.c.username == BENCH_USERNAME))
    except Exception:  # noqa: BLE001 - no tables at all: not seeded
        return None
    for name, scale in SCALES.items():
        if (idea_count, member_count, bench) == (scale.ideas, scale.members, BENCH_MEMBER_ID):
            return name
    return None


async def count_mismatches(db: Database) -> dict[str, int]:
    """How many stored counters differ from the rows they count (all zero when consistent)."""
    vote_rows = sa.select(sa.func.count()).where(votes.c.idea_id == ideas.c.id).scalar_subquery()
    comment_rows = (
        sa.select(sa.func.count())
        .where(comments.c.idea_id == ideas.c.id, comments.c.deleted_at.is_(None))
        .scalar_subquery()
    )
    idea_rows = sa.select(sa.func.count()).where(ideas.c.board_id == boards.c.id).scalar_subquery()
    count = sa.select(sa.func.count())
    return {
        "ideas.vote_count": await db.fetch_val(count.select_from(ideas).where(ideas.c.vote_count != vote_rows)),
        "ideas.comment_count": await db.fetch_val(
            count.select_from(ideas).where(ideas.c.comment_count != comment_rows)
        ),
        "boards.idea_count": await db.fetch_val(count.select_from(boards).where(boards.c.idea_count != idea_rows)),
    }


async def take_back_votes(db: Database) -> int:
    """Take back the votes an earlier run left, through the portal's own query, so that each
    toggle of the next run really writes (a vote for an idea voted for already changes nothing)."""
    rows = await db.fetch_all(sa.select(votes.c.idea_id).where(votes.c.user_id == BENCH_MEMBER_ID))
    for row in rows:
        await idea_votes.remove_vote(db, row["idea_id"], BENCH_MEMBER_ID)
    return len(rows)


COMMANDS = {"scale": seeded_scale, "check": count_mismatches, "take-back": take_back_votes}


async def main(command: str, url: str) -> object:
    db = Database(url, pool_size=1)
    try:
        await db.connect()
    except Exception:  # noqa: BLE001 - no such database yet: nothing seeded
        return None
    try:
        return await COMMANDS[command](db)
    finally:
        await db.disconnect()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in COMMANDS:
        raise SystemExit(__doc__)
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2]))))
