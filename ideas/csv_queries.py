"""Writing what a CSV file brings: ideas, votes and comments, the members behind them, the counters.

Everything happens in one transaction, after the rows that need the database (boards, ideas
imported earlier) were checked: a file goes in whole or not at all. Imports notify nobody and
send no webhooks: they are history, not news. The writes go to the ideas and accounts tables
directly, in bulk where ids are not needed back: the domains' one-at-a-time functions would
take minutes (and notify people) for a file of tens of thousands of rows.
"""

import re
from collections import Counter
from typing import Any

import sqlalchemy as sa

from ideas import ranking, search
from ideas.csv_import import CSVRefused, Parsed
from ideas.tables import boards, comments, idea_follows, ideas, votes
from portal.accounts.tables import users
from portal.db import Database, utcnow
from portal.markdown import render_markdown
from portal.transfer.tables import imported_ideas

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


async def _insert_many(db: Database, statement: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _CHUNK):
        await db.execute(statement.values(rows[start : start + _CHUNK]))


async def _follow(db: Database, pairs: set[tuple[int, int]]) -> None:
    """Authors, voters and commenters follow the idea, unless they unfollowed it before (as on the site)."""
    now = utcnow()
    rows = [{"user_id": user, "idea_id": idea, "following": True, "created_at": now} for user, idea in sorted(pairs)]
    await _insert_many(db, db.insert(idea_follows).on_conflict_do_nothing(), rows)


async def _members(db: Database, emails: set[str]) -> tuple[dict[str, int], int]:
    """Member ids by email; members are created, without a password, for emails not known yet."""
    by_email = sa.select(users.c.id, sa.func.lower(users.c.email).label("email"))
    found = await _in_chunks(db, by_email, sa.func.lower(users.c.email), sorted(emails))
    ids = {row["email"]: row["id"] for row in found}
    missing = sorted(emails - set(ids))
    if not missing:
        return ids, 0
    taken = {row["username"] for row in await db.fetch_all(sa.select(users.c.username))}
    now, new_members = utcnow(), []
    for email in missing:
        local = email.split("@", 1)[0]
        base = re.sub(r"[^a-z0-9_-]+", "-", local.lower()).strip("-_")[:28] or "member"
        base = base if len(base) >= 3 else f"{base}-member"
        username, attempt = base, 1
        while username in taken:
            attempt += 1
            username = f"{base[:28]}{attempt}"
        taken.add(username)
        new_members.append(
            {"username": username, "email": email, "display_name": local[:80], "role": "member", "created_at": now}
        )
    await _insert_many(db, users.insert(), new_members)
    created = await _in_chunks(db, by_email, sa.func.lower(users.c.email), missing)
    return ids | {row["email"]: row["id"] for row in created}, len(missing)


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
    now, documents, links, follows = utcnow(), [], [], set()
    for row in rows:
        moment, body, author_id = row["created_at"] or now, row.get("body") or "", members[row["author_email"]]
        idea_id = await db.fetch_val(
            ideas.insert()
            .values(
                board_id=row["board_id"],
                author_id=author_id,
                title=row["title"],
                body=body,
                body_html=render_markdown(body),
                status=row["status"],
                created_at=moment,
                updated_at=moment,
            )
            .returning(ideas.c.id)
        )
        links.append({"external_id": row["external_id"], "idea_id": idea_id})
        documents.append((idea_id, idea_id, row["title"], body))
        follows.add((author_id, idea_id))
    await _insert_many(db, imported_ideas.insert(), links)
    await search.add_documents(db, ideas=documents)
    await _follow(db, follows)
    for board_id, count in Counter(row["board_id"] for row in rows).items():
        await db.execute(boards.update().where(boards.c.id == board_id).values(idea_count=boards.c.idea_count + count))
    return {"ideas": len(rows), "members_created": created}


async def _set_per_idea(db: Database, values: dict[int, Any], kind: Any, columns: Any) -> None:
    """One UPDATE per chunk of ideas, each idea getting its own value (a CASE on the id)."""
    idea_ids = sorted(values)
    for start in range(0, len(idea_ids), _CHUNK):
        chunk = idea_ids[start : start + _CHUNK]
        # Cast: PostgreSQL cannot tell the type of the CASE's bound values by itself.
        case = sa.case({idea_id: sa.cast(sa.literal(values[idea_id]), kind) for idea_id in chunk}, value=ideas.c.id)
        await db.execute(ideas.update().where(ideas.c.id.in_(chunk)).values(**columns(case)))


async def _count_votes(db: Database, idea_ids: list[int]) -> int:
    total = 0
    for start in range(0, len(idea_ids), _CHUNK):
        chunk = idea_ids[start : start + _CHUNK]
        total += await db.fetch_val(sa.select(sa.func.count()).select_from(votes).where(votes.c.idea_id.in_(chunk)))
    return total


async def _import_votes(db: Database, rows: list[dict[str, Any]]) -> dict[str, int]:
    idea_ids = await _imported_ideas(db, rows)
    members, created = await _members(db, {row["voter_email"] for row in rows})
    now = utcnow()
    new_votes = [
        {
            "idea_id": idea_ids[row["idea_external_id"]],
            "user_id": members[row["voter_email"]],
            "created_at": row["created_at"] or now,
        }
        for row in rows
    ]
    touched = sorted({vote["idea_id"] for vote in new_votes})
    before = await _count_votes(db, touched)
    await _insert_many(db, db.insert(votes).on_conflict_do_nothing(), new_votes)
    added = await _count_votes(db, touched) - before
    await _follow(db, {(vote["user_id"], vote["idea_id"]) for vote in new_votes})
    moments: dict[int, list[float]] = {idea_id: [] for idea_id in touched}
    for vote in await _in_chunks(db, sa.select(votes.c.idea_id, votes.c.created_at), votes.c.idea_id, touched):
        moments[vote["idea_id"]].append(ranking.vote_weight_exponent(vote["created_at"]))
    await _set_per_idea(
        db,
        {idea_id: len(exponents) for idea_id, exponents in moments.items()},
        sa.Integer,
        lambda case: {"vote_count": case},
    )
    await _set_per_idea(
        db,
        {idea_id: ranking.score_of(exponents) for idea_id, exponents in moments.items()},
        sa.Float,
        lambda case: {"trending_score": case},
    )
    return {"votes": added, "votes_already_there": len(rows) - added, "members_created": created}


async def _import_comments(db: Database, rows: list[dict[str, Any]]) -> dict[str, int]:
    idea_ids = await _imported_ideas(db, rows)
    members, created = await _members(db, {row["author_email"] for row in rows})
    rows, already_there = await _new_comments(db, rows, idea_ids, members)
    now, documents, follows = utcnow(), [], set()
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
        documents.append((comment_id, idea_id, row["body"]))
        follows.add((author_id, idea_id))
    await search.add_documents(db, comments=documents)
    await _follow(db, follows)
    await _set_per_idea(
        db,
        Counter(idea_ids[row["idea_external_id"]] for row in rows),
        sa.Integer,
        lambda case: {"comment_count": ideas.c.comment_count + case},
    )
    return {"comments": len(rows), "comments_already_there": already_there, "members_created": created}


async def _new_comments(
    db: Database, rows: list[dict[str, Any]], idea_ids: dict[str, int], members: dict[str, int]
) -> tuple[list[dict[str, Any]], int]:
    """The rows not imported before (a file imported twice, or one that repeats a row), and how many
    were. A comment files carry no id of their own: a row is there already when its idea has a live
    comment by the same author with the same text and, if the row gives one, the same created_at."""
    touched = sorted({idea_ids[row["idea_external_id"]] for row in rows})
    there: set[tuple] = set()
    for comment in await _in_chunks(
        db,
        sa.select(comments.c.idea_id, comments.c.author_id, comments.c.body, comments.c.created_at).where(
            comments.c.deleted_at.is_(None)
        ),
        comments.c.idea_id,
        touched,
    ):
        key = (comment["idea_id"], comment["author_id"], comment["body"])
        there.update((key, (*key, comment["created_at"])))
    new = []
    for row in rows:
        key = (idea_ids[row["idea_external_id"]], members[row["author_email"]], row["body"])
        if row["created_at"] is not None:
            key = (*key, row["created_at"])
        if key not in there:
            there.add(key)
            new.append(row)
    return new, len(rows) - len(new)
