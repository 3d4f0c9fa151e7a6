"""Reactions to ideas and comments: one of each kind per member, counted on the idea or comment."""

from typing import Any

import sqlalchemy as sa

from ideas.tables import REACTIONS, comment_reactions, comments, idea_reactions, ideas
from portal.db import Database, utcnow

_TARGETS = {
    "idea": (idea_reactions, idea_reactions.c.idea_id, ideas),
    "comment": (comment_reactions, comment_reactions.c.comment_id, comments),
}


class ReactionTargetNotFound(Exception):
    pass


async def set_reaction(db: Database, *, target: str, target_id: int, user_id: int, reaction: str, on: bool) -> dict:
    """Add or take back a reaction (idempotent); returns the target's counts by reaction."""
    assert target in _TARGETS and reaction in REACTIONS
    table, key, owner = _TARGETS[target]
    async with db.transaction():
        columns = [owner.c.reaction_counts] + ([owner.c.deleted_at] if owner is comments else [])
        row = await db.fetch_one(sa.select(*columns).where(owner.c.id == target_id).with_for_update(key_share=True))
        if row is None or (owner is comments and row["deleted_at"] is not None):
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


async def my_idea_reactions(db: Database, user_id: int, idea_id: int) -> set[str]:
    rows = await db.fetch_all(
        sa.select(idea_reactions.c.reaction).where(
            idea_reactions.c.idea_id == idea_id, idea_reactions.c.user_id == user_id
        )
    )
    return {row["reaction"] for row in rows}


async def my_comment_reactions(db: Database, user_id: int, comment_ids: list[int]) -> dict[int, set[str]]:
    """The member's reactions to these comments, in one query."""
    if not comment_ids:
        return {}
    rows = await db.fetch_all(
        sa.select(comment_reactions.c.comment_id, comment_reactions.c.reaction).where(
            comment_reactions.c.user_id == user_id, comment_reactions.c.comment_id.in_(comment_ids)
        )
    )
    mine: dict[int, set[str]] = {}
    for row in rows:
        mine.setdefault(row["comment_id"], set()).add(row["reaction"])
    return mine


async def clear_comment_reactions(db: Database, comment_id: int) -> None:
    await db.execute(comment_reactions.delete().where(comment_reactions.c.comment_id == comment_id))
    await db.execute(comments.update().where(comments.c.id == comment_id).values(reaction_counts={}))


def reaction_counts(row: Any) -> dict[str, int]:
    return dict(row["reaction_counts"] or {})
