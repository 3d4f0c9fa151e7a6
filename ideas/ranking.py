"""How ideas are ordered: the list modes, their keyset cursors, and the trending score.

Trending: each vote weighs 2 ** (t / h), where t is when it was cast and h the
half-life (3 days), so a vote cast 3 days ago counts half as much as one cast
now. An idea's trending score is log2 of the sum of its votes' weights, kept on
the idea and updated in the same transaction as the vote. Ordering by it equals
ordering by "votes, each halved for every 3 days of age", at any moment,
without a job that decays scores.
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


def vote_weight_exponent(moment: datetime) -> float:
    """log2 of the weight of a vote cast at `moment`."""
    return (moment - EPOCH) / HALF_LIFE


def add_vote_to_score(score: float, exponent: float) -> float:
    if score <= NO_VOTES_SCORE:
        return exponent
    high, low = max(score, exponent), min(score, exponent)
    return high + math.log2(1 + 2 ** (low - high))


def remove_vote_from_score(score: float, exponent: float) -> float | None:
    """The score without one vote; None when float precision calls for a recount from the rows."""
    if exponent > score:
        return None
    remainder = 1 - 2 ** (exponent - score)
    if remainder < 1e-9:
        return None
    return score + math.log2(remainder)


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
