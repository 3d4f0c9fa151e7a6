"""Reactions, for any domain: one of each kind per member on a post, counted on the post's row.

A domain declares a `ReactionTarget` (its reactions table, the column naming the post, the
post's table) and calls `set_reaction`; the counts live in the post's `reaction_counts` JSON.
"""

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from portal.db import Database, Id, UTCDateTime, metadata, utcnow
from portal.statements import kept_by_shape

REACTIONS = {
    "thumbs_up": "👍",
    "thumbs_down": "👎",
    "laugh": "😄",
    "hooray": "🎉",
    "confused": "😕",
    "heart": "❤️",
    "rocket": "🚀",
    "eyes": "👀",
}
REACTION_CHECK = "reaction IN (" + ", ".join(f"'{name}'" for name in REACTIONS) + ")"


def reactions_table(name: str, key: str, post_table: str, *, by_member: bool = True) -> sa.Table:
    """A post's reactions: one row per member, post and reaction; `by_member` indexes a member's."""
    return sa.Table(
        name,
        metadata,
        sa.Column(key, Id, sa.ForeignKey(f"{post_table}.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("reaction", sa.String(16), primary_key=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.CheckConstraint(REACTION_CHECK, name="reaction"),
        *([sa.Index(None, "user_id", key)] if by_member else []),
    )


@dataclass(frozen=True)
class ReactionTarget:
    reactions: sa.Table
    key: sa.Column
    owner: sa.Table
    # Columns of the owner that, when set, mean it takes no reactions (deleted_at, hidden_at).
    gone_columns: tuple[str, ...] = ()


class ReactionTargetNotFound(Exception):
    pass


async def set_reaction(
    db: Database, target: ReactionTarget, *, target_id: int, user_id: int, reaction: str, on: bool
) -> dict:
    """Add or take back a reaction (idempotent); returns the target's counts by reaction."""
    assert reaction in REACTIONS
    table, key, owner = target.reactions, target.key, target.owner
    async with db.transaction():
        columns = [owner.c.reaction_counts, *(owner.c[name] for name in target.gone_columns)]
        row = await db.fetch_one(sa.select(*columns).where(owner.c.id == target_id).with_for_update(key_share=True))
        if row is None or any(row[name] is not None for name in target.gone_columns):
            raise ReactionTargetNotFound(target_id)
        if on:
            changed = await db.fetch_one(
                db.insert(table)
                .values({key.name: target_id, "user_id": user_id, "reaction": reaction, "created_at": utcnow()})
                .on_conflict_do_nothing()
                .returning(table.c.user_id)
            )
        else:
            changed = await db.fetch_one(
                table.delete()
                .where(key == target_id, table.c.user_id == user_id, table.c.reaction == reaction)
                .returning(table.c.user_id)
            )
        counts = dict(row["reaction_counts"] or {})
        if changed:
            counts[reaction] = counts.get(reaction, 0) + (1 if on else -1)
            counts = {name: count for name, count in counts.items() if count > 0}
            await db.execute(owner.update().where(owner.c.id == target_id).values(reaction_counts=counts))
        return counts


@kept_by_shape
def _mine(target: ReactionTarget) -> sa.Select:
    table, key = target.reactions, target.key
    return sa.select(key.label("target_id"), table.c.reaction).where(
        table.c.user_id == sa.bindparam("user_id", type_=sa.Integer),
        key.in_(sa.bindparam("target_ids", expanding=True)),
    )


async def my_reactions(
    db: Database, target: ReactionTarget, user_id: int, target_ids: list[int]
) -> dict[int, set[str]]:
    """The member's reactions to these posts, in one query."""
    if not target_ids:
        return {}
    rows = await db.fetch_all(_mine(target), {"user_id": user_id, "target_ids": target_ids})
    mine: dict[int, set[str]] = {}
    for row in rows:
        mine.setdefault(row["target_id"], set()).add(row["reaction"])
    return mine


def reaction_counts(row: Any) -> dict[str, int]:
    return dict(row["reaction_counts"] or {})
