"""List modes, tie-breaking and keyset pagination, on enough ideas that a wrong order or index shows."""

import random
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ideas import board_queries, queries, ranking
from ideas.tables import NO_VOTES_SCORE, boards, ideas
from portal.db import utcnow
from tests.pages import links, parsed

IDEA_COUNT = 2000


@pytest.fixture
async def many_ideas(db, person):
    """2,000 ideas on two boards with counters drawn at random, many of them tied."""
    author = await person("author")
    second_board = await board_queries.create_board(db, slug="second", name="Second")
    chooser = random.Random(7)
    now = utcnow()
    rows = []
    for number in range(IDEA_COUNT):
        votes = chooser.randint(0, 30)
        rows.append(
            {
                "board_id": 1 if number % 3 else second_board,
                "author_id": author.id,
                "title": f"Idea {number}",
                "body": "",
                "body_html": "",
                "status": "open",
                "vote_count": votes,
                "comment_count": chooser.randint(0, 10),
                "trending_score": NO_VOTES_SCORE if votes == 0 else round(chooser.uniform(0, 120), 1),
                "created_at": now,
                "updated_at": now - timedelta(minutes=chooser.randint(0, 50)),
            }
        )
    for start in range(0, len(rows), 1000):
        await db.execute(ideas.insert().values(rows[start : start + 1000]))
    await db.execute(boards.update().values(idea_count=IDEA_COUNT))
    return second_board


def expected_order(rows, sort: ranking.Sort) -> list[int]:
    if sort.column is None:
        return sorted((row["id"] for row in rows), reverse=True)
    return [row["id"] for row in sorted(rows, key=lambda row: (row[sort.column.name], row["id"]), reverse=True)]


def idea_numbers(page) -> list[str]:
    """The numbers of the ideas the page lists, in order (from their title links)."""
    return [re.search(r"/ideas/(\d+)$", href).group(1) for href in links(page, "h2.idea-title > a[href]")]


async def walk(visitor, url: str, pages: int = 10**6) -> list[int]:
    seen = []
    while url and pages:
        pages -= 1
        page = parsed(await visitor.get(url))
        seen += [int(n) for n in idea_numbers(page)]
        more = links(page, 'a[rel="next"]')
        url = more[0].replace("http://testserver", "") if more else None
    return seen


async def walk_queries(db, sort: ranking.Sort, **filters) -> list[int]:
    seen, after = [], None
    while True:
        page = await queries.list_ideas(db, sort=sort, after=after, **filters)
        seen += [row["id"] for row in page.rows]
        if page.next_cursor is None:
            return seen
        after = sort.parse_cursor(page.next_cursor)


@pytest.mark.parametrize("sort_name", list(ranking.SORTS))
async def test_every_mode_pages_through_all_ideas_in_order_with_ties_broken_by_newest(
    sort_name, many_ideas, db, visitor
):
    sort = ranking.SORTS[sort_name]
    rows = await db.fetch_all(sa.select(ideas))
    board_rows = [row for row in rows if row["board_id"] == many_ideas]
    assert await walk_queries(db, sort) == expected_order(rows, sort)
    assert await walk_queries(db, sort, board_id=many_ideas) == expected_order(board_rows, sort)
    # The pages people click through carry the same cursors.
    first_pages = await walk(visitor, f"/boards/second?sort={sort_name}", pages=3)
    assert first_pages == expected_order(board_rows, sort)[: 3 * queries.PAGE_SIZE]


async def test_paging_stays_stable_when_ideas_on_other_pages_gain_votes(many_ideas, db, visitor, person):
    voter = await person("voter")
    first_page = await visitor.get("/?sort=top")
    [next_url] = links(first_page, 'a[rel="next"]')
    # While the visitor reads page 1, an idea from far down the list climbs to the top.
    bottom = await db.fetch_val(sa.select(ideas.c.id).order_by(ideas.c.vote_count, ideas.c.id).limit(1))
    await db.execute(ideas.update().where(ideas.c.id == bottom).values(vote_count=500))
    await voter.vote(bottom)
    seen = idea_numbers(first_page)
    seen += [str(n) for n in await walk(visitor, next_url)]
    first_seen = [n for n in dict.fromkeys(seen)]
    assert len(seen) == len(first_seen) == IDEA_COUNT - 1  # nobody twice; only the climber is missed
    assert str(bottom) not in seen


def plan_of(db, query: sa.Select) -> str:
    dialect = sa.dialects.sqlite.dialect() if db.is_sqlite else sa.dialects.postgresql.dialect()
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


@pytest.mark.parametrize("sort_name", list(ranking.SORTS))
async def test_each_list_is_served_by_an_index_without_sorting(sort_name, many_ideas, db):
    sort = ranking.SORTS[sort_name]
    await db.execute(sa.text("ANALYZE"))
    cursor_row = await db.fetch_one(sa.select(ideas).where(ideas.c.id == 1000))
    after = sort.parse_cursor(sort.cursor_of(cursor_row))
    shapes = ({}, {"board_id": many_ideas}, {"after": after}, {"board_id": many_ideas, "after": after})
    # The API's statement, and the pages' (a summary with tags and the viewer's vote).
    pages = ({**shape, "summary": True, "viewer_id": 1, "with_boards": "board_id" not in shape} for shape in shapes)
    for filters in [*shapes, *pages]:
        statement = plan_of(db, queries.ideas_query(dialect_name=db.dialect_name, sort=sort, **filters))
        if db.is_sqlite:
            plan = " | ".join(row[3] for row in await db.fetch_all(sa.text("EXPLAIN QUERY PLAN " + statement)))
            assert "USE TEMP B-TREE" not in plan, (filters, plan)
            if sort_name != "new":  # newest first is the table's own order: a scan that LIMIT stops
                assert re.search(r"SCAN ideas(?! USING)", plan) is None, (filters, plan)
        else:
            async with db.transaction():
                await db.execute(sa.text("SET LOCAL enable_seqscan = off"))
                rows = await db.fetch_all(sa.text("EXPLAIN " + statement))
            plan = " | ".join(row[0] for row in rows)
            assert "Seq Scan on ideas" not in plan and "Sort" not in plan.split("Nested Loop")[0], (filters, plan)


async def test_the_other_lists_use_indexes_too(many_ideas, db, person):
    """Votes, comments, notifications and roadmap columns are read through indexes, never full scans."""
    import sqlalchemy as sa

    from ideas import comment_queries
    from ideas.tables import comments, votes
    from portal.notifications.tables import notifications

    await db.execute(sa.text("ANALYZE"))
    statements = [
        sa.select(votes.c.idea_id).where(votes.c.user_id == 1, votes.c.idea_id.in_([1, 2, 3])),
        sa.select(sa.func.count())
        .select_from(votes.join(ideas, ideas.c.id == votes.c.idea_id))
        .where(votes.c.user_id == 1, ideas.c.board_id == 1, ideas.c.status.not_in(["shipped"])),
        sa.select(comments).where(comments.c.idea_id == 5, comments.c.id > 0).order_by(comments.c.id).limit(101),
        sa.select(notifications).where(notifications.c.user_id == 1).order_by(notifications.c.id.desc()).limit(31),
        sa.select(ideas.c.id)
        .where(ideas.c.status == "planned")
        .order_by(ideas.c.vote_count.desc(), ideas.c.id.desc())
        .limit(50),
    ]
    assert comment_queries.PAGE_SIZE == 100
    for statement in statements:
        compiled = plan_of(db, statement)
        if db.is_sqlite:
            plan = " | ".join(row[3] for row in await db.fetch_all(sa.text("EXPLAIN QUERY PLAN " + compiled)))
            assert re.search(r"SCAN (votes|ideas|comments|notifications)(?! USING)", plan) is None, plan
        else:
            async with db.transaction():
                await db.execute(sa.text("SET LOCAL enable_seqscan = off"))
                plan = " | ".join(row[0] for row in await db.fetch_all(sa.text("EXPLAIN " + compiled)))
            assert re.search(r"Seq Scan on (votes|ideas|comments|notifications)", plan) is None, plan
