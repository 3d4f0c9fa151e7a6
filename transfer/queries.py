"""Writing what a CSV file brings: ideas, votes and comments, the members behind them, the counters.

Everything happens in one transaction, after the rows that need the database (boards, ideas
imported earlier) were checked: a file goes in whole or not at all. Imports notify nobody and
send no webhooks: they are history, not news.
"""

import re
from collections import Counter
from typing import Any

import sqlalchemy as sa

from ideas import following, ranking, search
from ideas.tables import boards, comments, ideas, votes
from portal.accounts import queries as account_queries
from portal.accounts.tables import users
from portal.db import Database, utcnow
from portal.markdown import render_markdown
from transfer.csv_import import CSVRefused, Parsed
from transfer.tables import imported_ideas

_CHUNK = 500


async def import_csv(db: Database, parsed: Parsed) -> dict[str, int]:
    """Write the parsed rows; raises CSVRefused (writing nothing) when some row cannot go in."""
    if parsed.problems:
        raise CSVRefused(parsed.problems)
    async with db.transaction():
        if parsed.kind == "ideas":
            return await _import_ideas(db, parsed.rows)
        if parsed.kind == "votes":
            return await _import_votes(db, parsed.rows)
        return await _import_comments(db, parsed.rows)


async def _in_chunks(db: Database, query, column, keys: list) -> list[Any]:
    rows: list[Any] = []
    for start in range(0, len(keys), _CHUNK):
        rows += await db.fetch_all(query.where(column.in_(keys[start : start + _CHUNK])))
    return rows


async def _members(db: Database, emails: set[str]) -> tuple[dict[str, int], int]:
    """Member ids by email; members are created, without a password, for emails not known yet."""
    found = await _in_chunks(
        db,
        sa.select(users.c.id, sa.func.lower(users.c.email).label("email")),
        sa.func.lower(users.c.email),
        sorted(emails),
    )
    ids = {row["email"]: row["id"] for row in found}
    created = 0
    for email in sorted(emails - set(ids)):
        local = email.split("@", 1)[0]
        base = re.sub(r"[^a-z0-9_-]+", "-", local.lower()).strip("-_")[:28] or "member"
        base = base if len(base) >= 3 else f"{base}-member"
        for attempt in range(1, 10_000):
            username = base if attempt == 1 else f"{base[:28]}{attempt}"
            if await account_queries.get_user_by_username(db, username) is None:
                break
        ids[email] = await account_queries.create_user(
            db, username=username, email=email, display_name=local[:80] or username, password_hash=None
        )
        created += 1
    return ids, created


async def _imported_ideas(db: Database, rows: list[dict[str, Any]]) -> dict[str, int]:
    """The portal idea of each row's idea_external_id (a merged idea's votes and comments go where it went)."""
    wanted = sorted({row["idea_external_id"] for row in rows})
    found = await _in_chunks(
        db,
        sa.select(
            imported_ideas.c.external_id, sa.func.coalesce(ideas.c.merged_into_id, ideas.c.id).label("idea_id")
        ).join(ideas, ideas.c.id == imported_ideas.c.idea_id),
        imported_ideas.c.external_id,
        wanted,
    )
    by_id = {row["external_id"]: row["idea_id"] for row in found}
    problems = [
        f"line {row['line']}: no idea was imported with external_id {row['idea_external_id']!r}; import the ideas first"
        for row in rows
        if row["idea_external_id"] not in by_id
    ]
    if problems:
        raise CSVRefused(problems)
    return by_id


async def _import_ideas(db: Database, rows: list[dict[str, Any]]) -> dict[str, int]:
    all_boards = await db.fetch_all(sa.select(boards.c.id, boards.c.slug, boards.c.name).order_by(boards.c.position))
    board_ids = {row["slug"]: row["id"] for row in all_boards} | {row["name"].lower(): row["id"] for row in all_boards}
    default_board = board_ids.get("general", all_boards[0]["id"] if all_boards else None)
    taken = await _in_chunks(
        db,
        sa.select(imported_ideas.c.external_id, imported_ideas.c.idea_id),
        imported_ideas.c.external_id,
        [row["external_id"] for row in rows],
    )
    taken_ids = {row["external_id"]: row["idea_id"] for row in taken}
    problems = []
    for row in rows:
        board = (row.get("board") or "").lower()
        row["board_id"] = board_ids.get(board) if board else default_board
        if row["board_id"] is None:
            known = ", ".join(row["slug"] for row in all_boards)
            problems.append(f"line {row['line']}: there is no board {row['board']!r} (boards: {known})")
        if row["external_id"] in taken_ids:
            problems.append(
                f"line {row['line']}: external_id {row['external_id']!r} was imported already "
                f"(idea #{taken_ids[row['external_id']]})"
            )
    if problems:
        raise CSVRefused(problems)
    members, created = await _members(db, {row["author_email"] for row in rows})
    now = utcnow()
    for row in rows:
        moment = row["created_at"] or now
        idea_id = await db.fetch_val(
            ideas.insert()
            .values(
                board_id=row["board_id"],
                author_id=members[row["author_email"]],
                title=row["title"],
                body=row.get("body") or "",
                body_html=render_markdown(row.get("body") or ""),
                status=row["status"],
                created_at=moment,
                updated_at=moment,
            )
            .returning(ideas.c.id)
        )
        await db.execute(imported_ideas.insert().values(external_id=row["external_id"], idea_id=idea_id))
        await search.index_idea(db, idea_id=idea_id, title=row["title"], body=row.get("body") or "")
        await following.follow_automatically(db, members[row["author_email"]], idea_id)
    for board_id, count in Counter(row["board_id"] for row in rows).items():
        await db.execute(boards.update().where(boards.c.id == board_id).values(idea_count=boards.c.idea_count + count))
    return {"ideas": len(rows), "members_created": created}


async def _import_votes(db: Database, rows: list[dict[str, Any]]) -> dict[str, int]:
    idea_ids = await _imported_ideas(db, rows)
    members, created = await _members(db, {row["voter_email"] for row in rows})
    now, added, touched = utcnow(), 0, set()
    for row in rows:
        idea_id, user_id = idea_ids[row["idea_external_id"]], members[row["voter_email"]]
        inserted = await db.fetch_one(
            db.insert(votes)
            .values(idea_id=idea_id, user_id=user_id, created_at=row["created_at"] or now)
            .on_conflict_do_nothing()
            .returning(votes.c.idea_id)
        )
        if inserted is not None:
            added += 1
            touched.add(idea_id)
            await following.follow_automatically(db, user_id, idea_id)
    for idea_id in sorted(touched):
        moments = await db.fetch_all(sa.select(votes.c.created_at).where(votes.c.idea_id == idea_id))
        await db.execute(
            ideas.update()
            .where(ideas.c.id == idea_id)
            .values(
                vote_count=len(moments),
                trending_score=ranking.score_of([ranking.vote_weight_exponent(row["created_at"]) for row in moments]),
            )
        )
    return {"votes": added, "votes_already_there": len(rows) - added, "members_created": created}


async def _import_comments(db: Database, rows: list[dict[str, Any]]) -> dict[str, int]:
    idea_ids = await _imported_ideas(db, rows)
    members, created = await _members(db, {row["author_email"] for row in rows})
    now = utcnow()
    for row in rows:
        idea_id, author_id = idea_ids[row["idea_external_id"]], members[row["author_email"]]
        comment_id = await db.fetch_val(
            comments.insert()
            .values(
                idea_id=idea_id,
                author_id=author_id,
                body=row["body"],
                body_html=render_markdown(row["body"]),
                created_at=row["created_at"] or now,
            )
            .returning(comments.c.id)
        )
        await search.index_comment(db, comment_id=comment_id, idea_id=idea_id, body=row["body"])
        await following.follow_automatically(db, author_id, idea_id)
    for idea_id, count in Counter(idea_ids[row["idea_external_id"]] for row in rows).items():
        await db.execute(
            ideas.update().where(ideas.c.id == idea_id).values(comment_count=ideas.c.comment_count + count)
        )
    return {"comments": len(rows), "members_created": created}
