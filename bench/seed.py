"""Seed a fresh Roundtable database for the benchmark, through the project's own code.

The schema comes from `portal.schema.upgrade`, rows go in through the project's
SQLAlchemy tables and `portal.db.Database`, as multi-row INSERTs of about 1,000
rows: one statement per row would take an hour at scale M. Every stored counter
is computed from the rows it counts (vote_count, comment_count, trending_score
with `ideas.ranking.score_of`, boards.idea_count), so the portal starts in the
state its own writes would have left it in.

    .venv/bin/python bench/seed.py --scale S --database-url sqlite:///bench/data/S.db
"""

import argparse
import asyncio
import json
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import sqlalchemy as sa

from ideas import ranking, search
from ideas.tables import boards, comments, ideas, search_documents, votes
from portal import schema
from portal.accounts.passwords import hash_password, password_hasher
from portal.accounts.tables import users
from portal.db import Database, utcnow
from portal.markdown import render_markdown

from scales import (
    BENCH_MEMBER_ID,
    BENCH_PASSWORD,
    BENCH_USERNAME,
    FIFTY_COMMENTS,
    FIFTY_COMMENTS_IDEA_ID,
    SCALES,
    Scale,
)

BATCH = 1_000
# The ARGON2_PROFILE the server runs with: a hash from another profile would be rehashed at sign-in.
ARGON2_PROFILE = "RFC_9106_LOW_MEMORY"
OTHER_MEMBERS_FROM = BENCH_MEMBER_ID + 1  # authors and voters: everyone but the bench member
# The board the migrations create, and the ones the seed adds. None has a vote budget or a campaign,
# so no vote toggle is refused; for the same reason no idea is in a closed status.
EXTRA_BOARDS = ("integrations", "mobile", "api", "documentation")
STATUSES = ("open",) * 17 + ("under_review", "planned", "in_progress")
HISTORY = timedelta(days=365)

VERBS = "Add Support Improve Allow Show Export Import Sync Simplify Redesign Automate Share Track Filter".split()
ADJECTIVES = "dark offline bulk custom weekly shared private faster nested scheduled public mobile".split()
NOUNS = (
    "dashboard reports notifications search calendar invoices comments tags projects teams webhooks "
    "exports charts labels reminders templates permissions archives attachments settings roles "
    "milestones emails widgets previews shortcuts themes backups translations integrations"
).split()
SENTENCES = (
    "Our team runs into this every week.",
    "It would save a lot of clicking for people who manage many projects.",
    "Right now we work around it with a spreadsheet, which goes stale quickly.",
    "Other tools we use already do this, so people expect it.",
    "This matters most on **small screens** and slow connections.",
    "A first version could be very simple and grow from there.",
    "We would happily test an early version and report back.",
    "Please keep it optional: not everyone wants it on by default.",
    "See the `settings` page: the option could live there.",
    "It also helps new members find their way around.",
)


def words(rng: random.Random, pool: list[str], count: int) -> str:
    return " ".join(rng.choice(pool) for _ in range(count))


def make_title(rng: random.Random) -> str:
    return f"{rng.choice(VERBS)} {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} for {rng.choice(NOUNS)}"


def make_text(rng: random.Random, sentences: int) -> str:
    """A few sentences of Markdown: some lines, sometimes a list of nouns."""
    text = " ".join(rng.choice(SENTENCES) for _ in range(sentences))
    if rng.random() < 0.3:
        text += "\n\n" + "\n".join(f"- {words(rng, NOUNS, 2)}" for _ in range(3))
    return text


def rendered_pool(seed: int, size: int, sentences: int) -> list[tuple[str, str]]:
    """Bodies with their HTML from the project's Markdown renderer; rendering 300,000 of them
    would take longer than inserting them, so ideas and comments draw from a pool."""
    rng = random.Random(seed)
    texts = [make_text(rng, rng.randint(1, sentences)) for _ in range(size)]
    return [(text, render_markdown(text)) for text in texts]


def spread(rng: random.Random, total: int, count: int, cap: int, sigma: float) -> list[int]:
    """`count` whole numbers summing to exactly `total`, each at most `cap`, skewed like real
    attention: most ideas get a few votes, a few get hundreds (a log-normal spread)."""
    weights = [rng.lognormvariate(0, sigma) for _ in range(count)]
    factor = total / sum(weights)
    counts = [min(cap, int(weight * factor)) for weight in weights]
    short = total - sum(counts)
    while short > 0:
        index = rng.randrange(count)
        if counts[index] < cap:
            counts[index] += 1
            short -= 1
    return counts


@dataclass
class IdeaPlan:
    id: int
    board_id: int
    author_id: int
    created_at: datetime
    vote_count: int
    comment_count: int


def plan_ideas(scale: Scale, now: datetime) -> list[IdeaPlan]:
    rng = random.Random(8)
    vote_counts = spread(rng, scale.votes, scale.ideas, cap=scale.members - 1, sigma=1.5)
    # The fifty-comment idea is set aside so that the others share the rest.
    others = spread(rng, scale.comments - FIFTY_COMMENTS, scale.ideas - 1, cap=10_000, sigma=1.0)
    comment_counts = others[: FIFTY_COMMENTS_IDEA_ID - 1] + [FIFTY_COMMENTS] + others[FIFTY_COMMENTS_IDEA_ID - 1 :]
    board_count = 1 + len(EXTRA_BOARDS)
    return [
        IdeaPlan(
            id=number,
            board_id=1 + (number * 7919) % board_count,
            author_id=rng.randint(OTHER_MEMBERS_FROM, scale.members),
            # Older ideas have lower ids, as they would have in a portal that grew.
            created_at=now - HISTORY + HISTORY * (number / (scale.ideas + 1)),
            vote_count=vote_counts[number - 1],
            comment_count=comment_counts[number - 1],
        )
        for number in range(1, scale.ideas + 1)
    ]


def moments_after(rng: random.Random, start: datetime, now: datetime, count: int) -> list[datetime]:
    span = (now - start).total_seconds()
    return sorted(start + timedelta(seconds=rng.random() * span) for _ in range(count))


def votes_of(plan: IdeaPlan, scale: Scale, now: datetime) -> list[dict]:
    """The idea's votes; the same every time for the same idea (its own random stream)."""
    rng = random.Random(plan.id * 2 + 1)
    voters = rng.sample(range(OTHER_MEMBERS_FROM, scale.members + 1), plan.vote_count)
    moments = moments_after(rng, plan.created_at, now, plan.vote_count)
    return [{"idea_id": plan.id, "user_id": user, "created_at": at} for user, at in zip(voters, moments, strict=True)]


def comment_moments(plan: IdeaPlan, now: datetime) -> list[datetime]:
    return moments_after(random.Random(plan.id * 2), plan.created_at, now, plan.comment_count)


def batches(rows: Iterable[dict], size: int = BATCH) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def insert_all(db: Database, table: sa.TableClause, rows: Iterable[dict]) -> int:
    """Insert `rows` in multi-row statements, in one transaction; returns how many."""
    count = 0
    async with db.transaction():
        for batch in batches(rows):
            await db.execute(table.insert().values(batch))
            count += len(batch)
    return count


def member_rows(scale: Scale, password_hash: str, now: datetime) -> Iterator[dict]:
    for number in range(1, scale.members + 1):
        username = BENCH_USERNAME if number == BENCH_MEMBER_ID else f"member{number}"
        yield {
            "id": number,
            "username": username,
            "email": f"{username}@example.org",
            "display_name": "Bench Runner" if number == BENCH_MEMBER_ID else f"Member {number}",
            "password_hash": password_hash,
            "role": "member",
            "is_founder": False,
            "created_at": now - HISTORY,
            "email_verified_at": now - HISTORY,
            "unread_notifications": 0,
        }


def idea_rows(plans: list[IdeaPlan], scale: Scale, now: datetime) -> Iterator[dict]:
    rng = random.Random(9)
    bodies = rendered_pool(10, 200, 5)
    for plan in plans:
        moments = [vote["created_at"] for vote in votes_of(plan, scale, now)]
        last_comment = comment_moments(plan, now)[-1:] or [plan.created_at]
        body, body_html = rng.choice(bodies)
        yield {
            "id": plan.id,
            "board_id": plan.board_id,
            "author_id": plan.author_id,
            "title": make_title(rng),
            "body": body,
            "body_html": body_html,
            "status": rng.choice(STATUSES),
            "vote_count": plan.vote_count,
            "comment_count": plan.comment_count,
            "trending_score": ranking.score_of([ranking.vote_weight_exponent(at) for at in moments]),
            "created_at": plan.created_at,
            "updated_at": max(plan.created_at, last_comment[0]),
        }


def vote_rows(plans: list[IdeaPlan], scale: Scale, now: datetime) -> Iterator[dict]:
    for plan in plans:
        yield from votes_of(plan, scale, now)


def comment_rows(plans: list[IdeaPlan], scale: Scale, now: datetime) -> Iterator[dict]:
    """Comments numbered idea by idea, oldest first, so that ids follow time within each idea."""
    rng = random.Random(11)
    bodies = rendered_pool(12, 300, 3)
    comment_id = 0
    for plan in plans:
        for at in comment_moments(plan, now):
            comment_id += 1
            body, body_html = rng.choice(bodies)
            yield {
                "id": comment_id,
                "idea_id": plan.id,
                "author_id": rng.randint(OTHER_MEMBERS_FROM, scale.members),
                "body": body,
                "body_html": body_html,
                "created_at": at,
            }


def document_rows(db: Database, idea_list: list[dict], comment_list: list[dict]) -> Iterator[dict]:
    """Search documents with the ids ideas/search.py gives them (an FTS5 rowid on SQLite)."""
    key = "rowid" if db.is_sqlite else "id"
    for row in idea_list:
        yield {
            key: search._idea_document_id(row["id"]),
            "idea_id": row["id"],
            "title": row["title"],
            "body": row["body"],
        }
    for row in comment_list:
        yield {key: search._comment_document_id(row["id"]), "idea_id": row["idea_id"], "title": "", "body": row["body"]}


def title_rows(db: Database, idea_list: list[dict]) -> Iterator[dict]:
    """The title index ideas/search.py keeps beside the documents: one row per idea, keyed by its id."""
    key = "rowid" if db.is_sqlite else "id"
    for row in idea_list:
        yield {key: row["id"], "idea_id": row["id"], "title": row["title"]}


async def add_boards(db: Database, plans: list[IdeaPlan], now: datetime) -> None:
    counts = [0] * (2 + len(EXTRA_BOARDS))
    for plan in plans:
        counts[plan.board_id] += 1
    rows = [
        {"id": number, "slug": slug, "name": slug.capitalize(), "position": number, "created_at": now - HISTORY}
        for number, slug in enumerate(EXTRA_BOARDS, start=2)
    ]
    async with db.transaction():
        await db.execute(boards.insert().values(rows))
        for board_id, count in enumerate(counts[1:], start=1):
            await db.execute(boards.update().where(boards.c.id == board_id).values(idea_count=count))


async def optimize_search_indexes(db: Database) -> None:
    """Merge each FTS5 index into one segment, as a long-lived index ends up: inserted in batches,
    it holds dozens, and every query would read each of them."""
    for table in ("search_documents", "search_documents_titles"):
        await db.execute(sa.text(f"INSERT INTO {table} ({table}) VALUES ('optimize')"))


async def finish_postgresql(db: Database, url: str) -> None:
    """Move the id sequences past the ids given explicitly, then VACUUM ANALYZE, as autovacuum
    would some time after a bulk load (the benchmark should not depend on when): planner
    statistics, the visibility map, and the search index's pending entries merged into it
    (before that, every similar-ideas call scanned them: 15 ms instead of 4.5 at M)."""
    for table in (users, boards, ideas, comments):
        sequence = sa.func.pg_get_serial_sequence(table.name, "id")
        highest = sa.select(sa.func.coalesce(sa.func.max(table.c.id), 1)).scalar_subquery()
        await db.fetch_val(sa.select(sa.func.setval(sequence, highest)))
    # VACUUM runs outside any transaction, which portal.db always opens for a write.
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


async def seed(url: str, scale_name: str) -> dict:
    """Create the schema in an empty database and fill it; returns counts and seconds per table."""
    scale = SCALES[scale_name]
    started = time.perf_counter()
    timings: dict[str, float] = {}
    schema.upgrade(url)
    timings["schema"] = time.perf_counter() - started
    db = Database(url, pool_size=2)
    await db.connect()
    try:
        now = utcnow()
        password_hash = await hash_password(password_hasher(ARGON2_PROFILE), BENCH_PASSWORD)
        plans = plan_ideas(scale, now)
        # Ideas and comments are kept for their search documents; votes stream through.
        idea_list = list(idea_rows(plans, scale, now))
        comment_list = list(comment_rows(plans, scale, now))
        timings["generating"] = time.perf_counter() - started - timings["schema"]
        steps = [
            ("members", users, member_rows(scale, password_hash, now)),
            ("ideas", ideas, idea_list),
            ("votes", votes, vote_rows(plans, scale, now)),
            ("comments", comments, comment_list),
            (
                "search documents",
                search._fts if db.is_sqlite else search_documents,
                document_rows(db, idea_list, comment_list),
            ),
            ("search titles", search._titles, title_rows(db, idea_list)),
        ]
        await add_boards(db, plans, now)
        counts = {}
        for name, table, rows in steps:
            step_start = time.perf_counter()
            counts[name] = await insert_all(db, table, rows)
            timings[name] = time.perf_counter() - step_start
            print(f"  {name}: {counts[name]:,} rows in {timings[name]:.1f} s", flush=True)
        if db.is_sqlite:
            await optimize_search_indexes(db)
        else:
            await finish_postgresql(db, url)
    finally:
        await db.disconnect()
    timings["total"] = time.perf_counter() - started
    return {"counts": counts, "seconds": timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="S")
    parser.add_argument("--database-url", required=True, help="an empty database (sqlite:///... or postgresql://...)")
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write the counts and timings here")
    args = parser.parse_args()
    result = asyncio.run(seed(args.database_url, args.scale))
    print(f"Seeded scale {args.scale} in {result['seconds']['total']:.1f} s")
    if args.json:
        args.json.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
