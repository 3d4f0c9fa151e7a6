"""Reactions to ideas and comments (the generic part is portal/reactions.py)."""

from ideas import posts
from ideas.tables import comment_reactions, comments
from portal import reactions as generic
from portal.db import Database
from portal.reactions import ReactionTargetNotFound, reaction_counts  # noqa: F401  (the ideas' names for them)


async def set_reaction(db: Database, *, target: str, target_id: int, user_id: int, reaction: str, on: bool) -> dict:
    """Add or take back a reaction (idempotent); returns the target's counts by reaction."""
    return await generic.set_reaction(
        db, posts.KINDS[target].reaction_target, target_id=target_id, user_id=user_id, reaction=reaction, on=on
    )


async def clear_comment_reactions(db: Database, comment_id: int) -> None:
    await db.execute(comment_reactions.delete().where(comment_reactions.c.comment_id == comment_id))
    await db.execute(comments.update().where(comments.c.id == comment_id).values(reaction_counts={}))
