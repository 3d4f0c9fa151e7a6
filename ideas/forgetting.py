"""What deleting a member's account does to the ideas (forget_hooks in ideas/domain.py): their
votes go and each idea is recounted, their reactions go and are recounted, and the ideas and
comments that @mention them say "deleted member" instead (portal/people/forgetting.py)."""

import sqlalchemy as sa

from ideas import ranking, search
from ideas.tables import NO_VOTES_SCORE, comment_reactions, comments, idea_reactions, ideas, votes
from portal.db import Database
from portal.people.forgetting import MentioningPosts, forget_mentions_in, forget_reactions_on


async def forget_votes(db: Database, user_id: int) -> None:
    """Take back the member's votes, on open and closed ideas alike, and recount each idea."""
    voted = [row["idea_id"] for row in await db.fetch_all(sa.select(votes.c.idea_id).where(votes.c.user_id == user_id))]
    if not voted:
        return
    # Locked in id order, the order every other writer of several ideas takes them in.
    await db.fetch_all(
        sa.select(ideas.c.id).where(ideas.c.id.in_(voted)).order_by(ideas.c.id).with_for_update(key_share=True)
    )
    await db.execute(votes.delete().where(votes.c.user_id == user_id))
    remaining = await db.fetch_all(sa.select(votes.c.idea_id, votes.c.created_at).where(votes.c.idea_id.in_(voted)))
    exponents: dict[int, list[float]] = {idea_id: [] for idea_id in voted}
    for row in remaining:
        exponents[row["idea_id"]].append(ranking.vote_weight_exponent(row["created_at"]))
    for idea_id, weights in exponents.items():
        await db.execute(
            ideas.update()
            .where(ideas.c.id == idea_id)
            .values(vote_count=len(weights), trending_score=ranking.score_of(weights) if weights else NO_VOTES_SCORE)
        )


async def forget_reactions(db: Database, user_id: int) -> None:
    """Take back the member's reactions and recount them on each idea and comment."""
    await forget_reactions_on(
        db,
        user_id,
        [
            (idea_reactions, idea_reactions.c.idea_id, ideas),
            (comment_reactions, comment_reactions.c.comment_id, comments),
        ],
    )


MENTIONING_POSTS = (
    MentioningPosts(ideas, search.rewrite_idea_body, search.drop_rewritten_words, None),
    MentioningPosts(comments, search.rewrite_comment_body, search.drop_rewritten_words, "comment"),
)


async def forget_mentions(db: Database, user_id: int) -> None:
    await forget_mentions_in(db, user_id, MENTIONING_POSTS)
