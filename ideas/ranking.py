"""How ideas are ordered: the list modes, their keyset cursors, and the trending score.

Trending: each vote weighs 2 ** (t / h), where t is when it was cast and h the
half-life (3 days), so a vote cast 3 days ago counts half as much as one cast
now. An idea's trending score is log2 of the sum of its votes' weights, kept on
the idea and updated in the same transaction as the vote. Ordering by it equals
ordering by "votes, each halved for every 3 days of age", at any moment,
without a job that decays scores.

The arithmetic of adding a vote to a score and taking one out is written once
(_plus_vote, _share_without_vote, _minus_share) over two number systems: Python
floats, for every path, and PostgreSQL float8 SQL text, for the vote PostgreSQL
casts in one statement (ideas/votes.py). tests/ideas/test_trending.py holds the
two to the same scores.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ideas.tables import NO_VOTES_SCORE, ideas

HALF_LIFE = timedelta(days=3)
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
TRENDING_EXPLAINED = (
    "Trending: every vote counts, but a vote's weight halves for every 3 days since it was cast. "
    "An idea's score is the sum of its votes' weights."
)
# Taking a vote out of a score leaves the other votes' share of it; below this share the stored
# score has lost too much precision to subtract from (a vote outweighing all the others together
# a billion times), and the score is recounted from the vote rows instead.
RECOUNT_BELOW = 1e-9
# Powers of two below 2**-1000 are taken as 2**-1000: that changes no sum of doubles, and
# PostgreSQL raises on the underflow where Python returns 0.
_SMALLEST_POWER = -1000


def vote_weight_exponent(moment: datetime) -> float:
    """log2 of the weight of a vote cast at `moment`."""
    return (moment - EPOCH) / HALF_LIFE


def sql_vote_weight_exponent(created_at: str) -> str:
    """vote_weight_exponent() in PostgreSQL, of the timestamp column `created_at`."""
    return (
        f"(EXTRACT(EPOCH FROM {created_at} - TIMESTAMPTZ '{EPOCH.isoformat()}')"
        f" / {HALF_LIFE.total_seconds()!r})::float8"
    )


def _plus_vote(number, score, exponent):
    """log2(2**score + 2**exponent), without overflow: the score with one more vote.

    No special case for an idea without votes: NO_VOTES_SCORE's weight vanishes next to any vote's.
    """
    high, low = number.greatest(score, exponent), number.least(score, exponent)
    return high + number.log2(1 + number.power_of_two(low - high))


def _share_without_vote(number, score, exponent):
    """The share of the score's weight left to the other votes once this vote is taken out
    (0 for a vote heavier than the whole score, which a score short of precision can show)."""
    return 1 - number.power_of_two(exponent - score)


def _minus_share(number, score, share):
    """The score once only `share` of its weight is left."""
    return score + number.log2(share)


class _Floats:
    """The trending arithmetic on Python floats."""

    greatest = staticmethod(max)
    least = staticmethod(min)
    log2 = staticmethod(math.log2)

    @staticmethod
    def power_of_two(exponent: float) -> float:
        """2**exponent, the exponent taken between _SMALLEST_POWER and 0."""
        return 2.0 ** min(max(exponent, _SMALLEST_POWER), 0)


class _SQL:
    """The trending arithmetic written out as PostgreSQL float8 SQL: an expression's text, which
    Python's + and - combine as they would numbers."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __add__(self, other: object) -> "_SQL":
        return _SQL(f"({self} + {other})")

    def __radd__(self, other: object) -> "_SQL":
        return _SQL(f"({other} + {self})")

    def __sub__(self, other: object) -> "_SQL":
        return _SQL(f"({self} - {other})")

    def __rsub__(self, other: object) -> "_SQL":
        return _SQL(f"({other} - {self})")

    @staticmethod
    def greatest(a: object, b: object) -> "_SQL":
        return _SQL(f"GREATEST({a}, {b})")

    @staticmethod
    def least(a: object, b: object) -> "_SQL":
        return _SQL(f"LEAST({a}, {b})")

    @staticmethod
    def log2(x: object) -> "_SQL":
        return _SQL(f"(ln({x}) / ln(2::float8))")

    @staticmethod
    def power_of_two(exponent: object) -> "_SQL":
        return _SQL(f"power(2::float8, GREATEST(LEAST({exponent}, 0), {_SMALLEST_POWER}))")


def add_vote_to_score(score: float, exponent: float) -> float:
    return _plus_vote(_Floats, score, exponent)


def remove_vote_from_score(score: float, exponent: float) -> float | None:
    """The score without one vote; None when float precision calls for a recount from the rows."""
    share = _share_without_vote(_Floats, score, exponent)
    return _minus_share(_Floats, score, share) if share >= RECOUNT_BELOW else None


def sql_add_vote_to_score(score: str, exponent: str) -> str:
    """add_vote_to_score() in PostgreSQL, of two float8 expressions (a column, a :parameter)."""
    return str(_plus_vote(_SQL, _SQL(score), _SQL(exponent)))


def sql_share_without_vote(score: str, exponent: str) -> str:
    """What remove_vote_from_score() leaves to the other votes, in PostgreSQL; the vote can be
    subtracted when this is at least RECOUNT_BELOW."""
    return str(_share_without_vote(_SQL, _SQL(score), _SQL(exponent)))


def sql_minus_share(score: str, share: str) -> str:
    """remove_vote_from_score() in PostgreSQL, given sql_share_without_vote()'s result."""
    return str(_minus_share(_SQL, _SQL(score), _SQL(share)))


def score_of(exponents: list[float]) -> float:
    if not exponents:
        return NO_VOTES_SCORE
    high = max(exponents)
    return high + math.log2(sum(2 ** (x - high) for x in exponents))


@dataclass(frozen=True)
class Sort:
    name: str
    label: str
    description: str
    column: sa.ColumnElement | None  # the stored counter before the id; None: newest first by id

    def order_by(self) -> list[sa.ColumnElement]:
        if self.column is None:
            return [ideas.c.id.desc()]
        return [self.column.desc(), ideas.c.id.desc()]

    def after(self) -> sa.ColumnElement:
        """Rows that come after a cursor in this order (a row-value comparison the index serves).

        For statements built once: the cursor's values go in as after_values(cursor).
        """
        after_id = sa.bindparam("after_id", type_=ideas.c.id.type)
        if self.column is None:
            return ideas.c.id < after_id
        return sa.tuple_(self.column, ideas.c.id) < sa.tuple_(
            sa.bindparam("after_value", type_=self.column.type), after_id
        )

    def after_values(self, cursor: tuple) -> dict[str, Any]:
        if self.column is None:
            return {"after_id": cursor[0]}
        return {"after_value": cursor[0], "after_id": cursor[1]}

    def cursor_of(self, row) -> str:
        if self.column is None:
            return str(row["id"])
        value = row[self.column.name]
        if isinstance(value, datetime):
            value = round(value.timestamp() * 1_000_000)
        return f"{value!r}_{row['id']}"

    def parse_cursor(self, raw: str) -> tuple:
        """The position a page starts after; raises ValueError for a cursor this order never made."""
        try:
            return self._parse_cursor(raw)
        except (OverflowError, OSError) as error:
            raise ValueError(raw) from error

    def _parse_cursor(self, raw: str) -> tuple:
        parts = raw.split("_")
        if len(parts) != (1 if self.column is None else 2):
            raise ValueError(raw)
        idea_id = int(parts[-1])
        if not 0 < idea_id < 2**63:
            raise ValueError(raw)
        if self.column is None:
            return (idea_id,)
        if self.column is ideas.c.trending_score:
            value: object = float(parts[0])
            if not math.isfinite(value):
                raise ValueError(raw)
        elif self.column is ideas.c.updated_at:
            value = datetime.fromtimestamp(int(parts[0]) / 1_000_000, UTC)
        else:
            value = int(parts[0])
            if not 0 <= value < 2**31:
                raise ValueError(raw)
        return (value, idea_id)


SORTS = {
    sort.name: sort
    for sort in (
        Sort("top", "Top", "Most votes first.", ideas.c.vote_count),
        Sort("trending", "Trending", TRENDING_EXPLAINED, ideas.c.trending_score),
        Sort("new", "New", "Newest first.", None),
        Sort("discussed", "Most discussed", "Most comments first.", ideas.c.comment_count),
        Sort("updated", "Recently updated", "Latest comment, edit or status change first.", ideas.c.updated_at),
    )
}
