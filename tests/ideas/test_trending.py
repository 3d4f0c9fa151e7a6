"""Trending: recent votes weigh more, and the stored score always matches the vote rows."""

import math
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ideas import ranking
from ideas.tables import NO_VOTES_SCORE, ideas, votes
from portal.db import utcnow
from tests.pages import shown


def test_a_vote_halves_in_weight_every_three_days():
    now = ranking.EPOCH + timedelta(days=300)
    fresh = ranking.vote_weight_exponent(now)
    three_days_old = ranking.vote_weight_exponent(now - timedelta(days=3))
    assert 2**three_days_old / 2**fresh == pytest.approx(0.5)
    # Two three-day-old votes weigh what one fresh vote does.
    assert ranking.score_of([three_days_old, three_days_old]) == pytest.approx(fresh)
    score = ranking.add_vote_to_score(NO_VOTES_SCORE, fresh)
    score = ranking.add_vote_to_score(score, three_days_old)
    assert score == pytest.approx(ranking.score_of([fresh, three_days_old]))
    assert ranking.remove_vote_from_score(score, three_days_old) == pytest.approx(fresh)
    assert ranking.remove_vote_from_score(fresh, fresh) is None  # nothing left: recount


async def stored_and_recounted(db, idea_id):
    score = await db.fetch_val(sa.select(ideas.c.trending_score).where(ideas.c.id == idea_id))
    moments = await db.fetch_all(sa.select(votes.c.created_at).where(votes.c.idea_id == idea_id))
    return score, ranking.score_of([ranking.vote_weight_exponent(row["created_at"]) for row in moments])


async def test_recent_votes_lift_an_idea_above_one_with_more_but_older_votes(person, db, visitor):
    author = await person("author")
    voters = [await person(f"voter{n}") for n in range(3)]
    old_favourite = await author.submit_idea("Old favourite")
    new_hit = await author.submit_idea("New hit")
    for voter in voters:
        await voter.vote(old_favourite)
    # Those three votes were cast nine days ago: each weighs an eighth of a fresh vote.
    for row in await db.fetch_all(sa.select(votes)):
        older = row["created_at"] - timedelta(days=9)
        await db.execute(
            votes.update()
            .where(votes.c.idea_id == row["idea_id"], votes.c.user_id == row["user_id"])
            .values(created_at=older)
        )
    _, recount = await stored_and_recounted(db, old_favourite)
    await db.execute(ideas.update().where(ideas.c.id == old_favourite).values(trending_score=recount))
    await voters[0].vote(new_hit)

    trending = (await visitor.get("/?sort=trending")).text
    assert trending.index("New hit") < trending.index("Old favourite")
    top = (await visitor.get("/?sort=top")).text
    assert top.index("Old favourite") < top.index("New hit")
    assert "halves for every 3 days" in shown(trending)


async def test_the_stored_score_follows_votes_and_unvotes(person, db):
    author = await person("author")
    voters = [await person(f"voter{n}") for n in range(5)]
    idea_id = await author.submit_idea("Scored")
    for voter in voters:
        await voter.vote(idea_id)
    for voter in voters[:2]:
        await voter.vote(idea_id, on=False)
    stored, recount = await stored_and_recounted(db, idea_id)
    assert math.isclose(stored, recount, rel_tol=1e-9)
    for voter in voters[2:]:
        await voter.vote(idea_id, on=False)
    stored, _ = await stored_and_recounted(db, idea_id)
    assert stored == NO_VOTES_SCORE


async def test_taking_back_a_vote_that_outweighs_all_the_others_recounts_the_score(person, db):
    # The others' votes are a year old: next to a fresh vote they weigh 2**-120 of it, below what the
    # stored score can keep, so taking the fresh vote back must recount from the rows.
    author = await person("author")
    old_voters = [await person(f"early{n}") for n in range(2)]
    latecomer = await person("latecomer")
    idea_id = await author.submit_idea("Old and new")
    for voter in old_voters:
        await voter.vote(idea_id)
    a_year_ago = utcnow() - timedelta(days=360)
    await db.execute(votes.update().where(votes.c.idea_id == idea_id).values(created_at=a_year_ago))
    _, recount = await stored_and_recounted(db, idea_id)
    await db.execute(ideas.update().where(ideas.c.id == idea_id).values(trending_score=recount))

    await latecomer.vote(idea_id)
    stored, recount = await stored_and_recounted(db, idea_id)
    assert math.isclose(stored, recount, rel_tol=1e-12)
    await latecomer.vote(idea_id, on=False)
    stored, recount = await stored_and_recounted(db, idea_id)
    assert math.isclose(stored, recount, rel_tol=1e-12)
    assert await db.fetch_val(sa.select(ideas.c.vote_count).where(ideas.c.id == idea_id)) == 2


async def test_the_sql_and_the_python_arithmetic_give_the_same_scores_on_the_same_rows(person, db):
    """PostgreSQL's one-statement vote computes the score in SQL, every other path in Python: both
    come from one statement of the arithmetic in ideas/ranking.py, and agree on every pair of an
    idea's score and a vote (none yet, fresh, days old, a year old, outweighing or outweighed)."""
    if db.dialect_name != "postgresql":
        pytest.skip("the SQL arithmetic is PostgreSQL's; on SQLite every vote takes the Python path")
    author = await person("author")
    voters = [await person(f"voter{n}") for n in range(4)]
    ages = [timedelta(0), timedelta(days=3), timedelta(days=9, hours=5), timedelta(days=360)]
    for ideas_voters in ([], voters[:1], voters[:2], voters):
        idea_id = await author.submit_idea(f"Voted by {len(ideas_voters)}")
        for voter in ideas_voters:
            await voter.vote(idea_id)
    now = utcnow()
    for row in await db.fetch_all(sa.select(votes).order_by(votes.c.idea_id, votes.c.user_id)):
        moment = now - ages[row["user_id"] % len(ages)]
        mine = (votes.c.idea_id == row["idea_id"]) & (votes.c.user_id == row["user_id"])
        await db.execute(votes.update().where(mine).values(created_at=moment))
    for idea_id in [row["id"] for row in await db.fetch_all(sa.select(ideas.c.id))]:
        _, recount = await stored_and_recounted(db, idea_id)
        await db.execute(ideas.update().where(ideas.c.id == idea_id).values(trending_score=recount))

    exponent = ranking.sql_vote_weight_exponent("votes.created_at")
    share = ranking.sql_share_without_vote("ideas.trending_score", exponent)
    every_pair = sa.text(
        f"""SELECT ideas.trending_score, votes.created_at, {exponent} AS exponent,
            {ranking.sql_add_vote_to_score("ideas.trending_score", exponent)} AS with_vote,
            CASE WHEN {share} >= {ranking.RECOUNT_BELOW!r}
                THEN {ranking.sql_minus_share("ideas.trending_score", share)} END AS without_vote
        FROM ideas CROSS JOIN votes ORDER BY ideas.id, votes.idea_id, votes.user_id"""
    ).columns(
        ideas.c.trending_score,
        votes.c.created_at,
        *(sa.column(name, sa.Float) for name in ("exponent", "with_vote", "without_vote")),
    )
    rows = await db.fetch_all(every_pair)
    assert len(rows) == 4 * 7
    in_sql = [(row["exponent"], row["with_vote"], row["without_vote"]) for row in rows]
    in_python = []
    for row in rows:
        weight = ranking.vote_weight_exponent(row["created_at"])
        score = row["trending_score"]
        in_python.append(
            (weight, ranking.add_vote_to_score(score, weight), ranking.remove_vote_from_score(score, weight))
        )
    differing = [(sql, python) for sql, python in zip(in_sql, in_python, strict=True) if not same(sql, python)]
    assert differing == []
    # Scores taking a vote back without a recount, and scores that need one: both kinds are here.
    assert any(row[2] is None for row in in_python) and any(row[2] is not None for row in in_python)


def same(sql: tuple, python: tuple) -> bool:
    """Equal but for the last bits of a double (PostgreSQL's ln(x)/ln(2) against Python's log2(x))."""
    return all(
        (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-13))
        for a, b in zip(sql, python, strict=True)
    )
