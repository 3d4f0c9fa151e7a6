"""Reactions to ideas and comments (the generic part is portal/reactions.py)."""

from ideas.tables import comment_reactions, comments, idea_reactions, ideas
from portal import reactions as generic
from portal.db import Database
from portal.reactions import ReactionTargetNotFound, reaction_counts  # noqa: F401  (the ideas' names for them)

_TARGETS = {
    "idea": generic.ReactionTarget(idea_reactions, idea_reactions.c.idea_id, ideas, ("hidden_at",)),
    "comment": generic.ReactionTarget(
        comment_reactions, comment_reactions.c.comment_id, comments, ("deleted_at", "hidden_at")
    ),
}


async def set_reaction(db: Database, *, target: str, target_id: int, user_id: int, reaction: str, on: bool) -> dict:
    """Add or take back a reaction (idempotent); returns the target's counts by reaction."""
    return await generic.set_reaction(
        db, _TARGETS[target], target_id=target_id, user_id=user_id, reaction=reaction, on=on
    )


async def clear_comment_reactions(db: Database, comment_id: int) -> None:
    await db.execute(comment_reactions.delete().where(comment_reactions.c.comment_id == comment_id))
    await db.execute(comments.update().where(comments.c.id == comment_id).values(reaction_counts={}))
