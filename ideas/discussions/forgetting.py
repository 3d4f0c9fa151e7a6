"""What deleting a member's account does to the discussions (forget_hooks in
ideas/discussions/domain.py): their reactions go and are recounted, and the threads and replies
that @mention them say "deleted member" instead (portal/people/forgetting.py)."""

from ideas.discussions import search
from ideas.discussions.tables import reply_reactions, thread_reactions, thread_replies, threads
from portal.db import Database
from portal.people.forgetting import MentioningPosts, forget_mentions_in, forget_reactions_on


async def forget_reactions(db: Database, user_id: int) -> None:
    """Take back the member's reactions and recount them on each thread and reply."""
    await forget_reactions_on(
        db,
        user_id,
        [
            (thread_reactions, thread_reactions.c.thread_id, threads),
            (reply_reactions, reply_reactions.c.reply_id, thread_replies),
        ],
    )


MENTIONING_POSTS = (
    MentioningPosts(threads, search.rewrite_thread_body, search.drop_rewritten_words, None),
    MentioningPosts(thread_replies, search.rewrite_reply_body, search.drop_rewritten_words, "reply"),
)


async def forget_mentions(db: Database, user_id: int) -> None:
    await forget_mentions_in(db, user_id, MENTIONING_POSTS)
