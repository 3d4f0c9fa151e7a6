"""The vote rule, asked both ways: PostgreSQL's one-statement vote and the general path give the
same answer on the same cases, and the rule's SQL twin agrees with its Python statement."""

import math
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import count
from typing import Any

import sqlalchemy as sa

from ideas import board_queries, queries, votes
from ideas.tables import boards, idea_follows, ideas
from ideas.tables import votes as vote_rows
from portal.db import UTCDateTime, utcnow

DAY = timedelta(days=1)
NOWHERE = 10**12  # an idea id nobody has


@dataclass(frozen=True)
class Case:
    """Linus votes for an idea (or takes his vote back) on a board set up so."""

    name: str
    expect: int | str  # the vote count after, or words of the refusal
    at_once: bool = False  # whether PostgreSQL's one statement settles it
    take_back: bool = False
    board: dict[str, Any] = field(default_factory=dict)  # boards columns; timedeltas from now
    idea: dict[str, Any] = field(default_factory=dict)  # ideas columns, set once the votes are cast
    voted: bool = False  # Linus had voted for the idea
    spent: int = 0  # Linus's votes on other ideas of the board
    other_votes: int = 0  # others' votes on the idea
    a_year_ago: bool = False  # when the others voted
    merged: bool = False
    missing: bool = False


CASES = [
    Case("an open idea", expect=1, at_once=True),
    Case("an open idea voted for already", expect=1, voted=True),
    Case("taking back one of three votes", expect=2, at_once=True, voted=True, take_back=True, other_votes=2),
    # Nothing left to subtract from: the general path recounts.
    Case("taking back the only vote", expect=0, voted=True, take_back=True),
    Case("taking back no vote", expect=0, take_back=True),
    Case("a planned idea", expect=1, at_once=True, idea={"status": "planned"}),
    Case("a shipped idea", expect="This idea is shipped", idea={"status": "shipped"}),
    Case(
        "a declined idea's vote",
        expect="This idea is declined",
        voted=True,
        take_back=True,
        idea={"status": "declined"},
    ),
    Case("a merged idea", expect="This idea is duplicate", merged=True),
    Case("a hidden idea", expect="A moderator hid this idea", idea={"hidden_at": -DAY}),
    Case("a hidden idea's vote", expect="A moderator hid", voted=True, take_back=True, idea={"hidden_at": -DAY}),
    Case("an archived board", expect="This board is archived", board={"is_archived": True}),
    Case("an archived board's vote", expect="archived", voted=True, take_back=True, board={"is_archived": True}),
    Case("a campaign not open yet", expect="This campaign opens on", board={"opens_at": DAY}),
    Case("a campaign closed", expect="This campaign is closed", board={"opens_at": -2 * DAY, "closes_at": -DAY}),
    Case("a campaign closing now", expect="This campaign is closed", board={"closes_at": timedelta(0)}),
    Case("a campaign running", expect=1, at_once=True, board={"opens_at": -DAY, "closes_at": DAY}),
    Case("a budget with votes left", expect=1, spent=1, board={"vote_budget": 2}),
    Case("a budget spent", expect="You have used all 2 of your votes", spent=2, board={"vote_budget": 2}),
    Case("a budget spent, voting again", expect=1, spent=1, voted=True, board={"vote_budget": 2}),
    Case("a budget's vote taken back", expect=0, spent=2, voted=True, take_back=True, board={"vote_budget": 3}),
    Case("a vote among year-old ones", expect=3, at_once=True, other_votes=2, a_year_ago=True),
    Case(
        "taking back a vote that outweighs the rest",
        expect=2,
        voted=True,
        take_back=True,
        other_votes=2,
        a_year_ago=True,
    ),
    Case("no such idea", expect="not found", missing=True),
]


class Board:
    """Sets each case up afresh, on a board of its own."""

    def __init__(self, db, ada, linus, others) -> None:
        self.db, self.ada, self.linus, self.others = db, ada, linus, others
        self.numbers = count(1)

    async def idea(self, board_id: int) -> int:
        now = utcnow()
        return await self.db.fetch_val(
            ideas.insert()
            .values(board_id=board_id, author_id=self.ada.id, title="Dark mode", body="", body_html="")
            .values(created_at=now, updated_at=now)
            .returning(ideas.c.id)
        )

    async def set_up(self, case: Case) -> int:
        db = self.db
        number = next(self.numbers)
        board_id = await board_queries.create_board(db, slug=f"case-{number}", name=f"Case {number}")
        idea_id = await self.idea(board_id)
        for voter in self.others[: case.other_votes]:
            await votes.add_vote(db, idea_id, voter.id)
        if case.a_year_ago:
            a_year_ago = utcnow() - 360 * DAY
            await db.execute(vote_rows.update().where(vote_rows.c.idea_id == idea_id).values(created_at=a_year_ago))
            score = await queries.recount_trending_score(db, idea_id)
            await db.execute(ideas.update().where(ideas.c.id == idea_id).values(trending_score=score))
        if case.voted:
            await votes.add_vote(db, idea_id, self.linus.id)
        for _ in range(case.spent):
            await votes.add_vote(db, await self.idea(board_id), self.linus.id)
        now = utcnow()
        moments = {name: now + value if isinstance(value, timedelta) else value for name, value in case.board.items()}
        if moments:
            await board_queries.update_board(db, board_id, **moments)
        changes = {name: now + value if isinstance(value, timedelta) else value for name, value in case.idea.items()}
        if case.merged:
            changes.update(status="duplicate", merged_into_id=await self.idea(board_id))
        if changes:
            await db.execute(ideas.update().where(ideas.c.id == idea_id).values(**changes))
        return NOWHERE if case.missing else idea_id

    async def state(self, idea_id: int) -> tuple:
        """What the vote leaves: Linus's vote and follow, the count, and the score against a recount."""
        db = self.db
        idea = await db.fetch_one(sa.select(ideas.c.vote_count, ideas.c.trending_score).where(ideas.c.id == idea_id))
        if idea is None:
            return ()
        mine = (vote_rows.c.idea_id == idea_id) & (vote_rows.c.user_id == self.linus.id)
        voted = await db.fetch_val(sa.select(sa.func.count()).where(mine))
        following = (idea_follows.c.idea_id == idea_id) & (idea_follows.c.user_id == self.linus.id)
        follows = await db.fetch_val(sa.select(sa.func.count()).where(following))
        recount = await queries.recount_trending_score(db, idea_id)
        return voted, follows, idea["vote_count"], math.isclose(idea["trending_score"], recount, rel_tol=1e-12)


async def outcome(vote) -> int | str:
    try:
        return await vote
    except votes.VoteRefused as refusal:
        return str(refusal)
    except queries.IdeaNotFound:
        return "not found"


async def test_the_one_statement_vote_and_the_general_path_agree_on_every_case(person, db):
    ada, linus = await person("ada", signed_in=False), await person("linus", signed_in=False)
    others = [await person(name, signed_in=False) for name in ("grace", "alan")]
    board = Board(db, ada, linus, others)
    answers = {}
    for case in CASES:
        # As the portal votes: the one statement (PostgreSQL) and, when it writes nothing, the general path.
        idea_id = await board.set_up(case)
        at_once = votes.remove_vote_at_once if case.take_back else votes.add_vote_at_once
        in_steps = votes.remove_vote_in_steps if case.take_back else votes.add_vote_in_steps
        settled = await at_once(db, idea_id, linus.id)
        first = settled if settled is not None else await outcome(in_steps(db, idea_id, linus.id))
        first_state = await board.state(idea_id)
        # The general path alone, on the same case.
        idea_id = await board.set_up(case)
        general = await outcome(in_steps(db, idea_id, linus.id))
        answers[case.name] = (first, first_state, settled is not None), (general, await board.state(idea_id))

    mismatches = {name: pair for name, pair in answers.items() if pair[0][:2] != pair[1]}
    assert mismatches == {}
    took_at_once = {name for name, ((_, _, at_once), _) in answers.items() if at_once}
    postgresql = db.dialect_name == "postgresql"
    assert took_at_once == {case.name for case in CASES if case.at_once and postgresql}
    for case in CASES:
        (answer, state, _), _ = answers[case.name]
        if isinstance(case.expect, int):
            assert answer == case.expect, case.name
            voted, _, vote_count, score_recounts = state
            assert (voted, vote_count, score_recounts) == (0 if case.take_back else 1, case.expect, True), case.name
        else:
            assert case.expect in str(answer), case.name


async def test_the_rules_sql_twin_takes_the_votes_the_python_rule_takes(person, db):
    ada, linus = await person("ada", signed_in=False), await person("linus", signed_in=False)
    others = [await person(name, signed_in=False) for name in ("grace", "alan")]
    board = Board(db, ada, linus, others)
    columns = (ideas.c.hidden_at, ideas.c.status, boards.c.is_archived, boards.c.opens_at, boards.c.closes_at)
    python, sql = {}, {}
    for case in CASES:
        if case.missing:
            continue
        idea_id = await board.set_up(case)
        joined = sa.select(*columns).select_from(ideas.join(boards, boards.c.id == ideas.c.board_id))
        now = utcnow()
        takes_votes = sa.text(votes.TAKES_VOTES).bindparams(sa.bindparam("now", now, type_=UTCDateTime()))
        row = await db.fetch_one(joined.where(ideas.c.id == idea_id))
        python[case.name] = votes.refusal(row, now) is None
        sql[case.name] = await db.fetch_one(joined.where(ideas.c.id == idea_id, takes_votes)) is not None
    assert sql == python
    # A budget is the member's own limit, not the idea's: over_budget() answers it on the general path.
    assert {name for name, takes in python.items() if takes} == {
        case.name for case in CASES if isinstance(case.expect, int) or "vote_budget" in case.board
    }
