"""Which post mentions which member, and writing a deleted member's mentions as "deleted member".

Kept apart from portal/mentions.py (which tells members) so that account deletion
(portal/people/forgetting.py) can read it without importing notifications.
"""

import sqlalchemy as sa

from portal.db import Database, Id, UTCDateTime, metadata
from portal.mentions_pattern import MENTION

# What a deleted member's @username becomes in others' posts: the words their own posts show.
DELETED_MEMBER = "deleted member"

# Who was mentioned in which post: a member hears about a post once, however often it is edited.
# The author's own @username is recorded too (they are not told). Account deletion does not rely
# on these rows: it reads every post whose text holds the name (portal/people/forgetting.py).
mentions = sa.Table(
    "mentions",
    metadata,
    sa.Column("target_kind", sa.String(16), primary_key=True),
    sa.Column("target_id", Id, primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index(None, "user_id"),
)


async def copy_mentions(db: Database, *, from_kind: str, from_id: int, to_kind: str, to_id: int) -> None:
    """A post made from another's text (a thread turned into an idea) names the same members;
    nobody is told again."""
    copied = sa.select(
        sa.literal(to_kind, sa.String), sa.literal(to_id, Id), mentions.c.user_id, mentions.c.created_at
    ).where(mentions.c.target_kind == from_kind, mentions.c.target_id == from_id)
    await db.execute(
        db.insert(mentions)
        .from_select(["target_kind", "target_id", "user_id", "created_at"], copied)
        .on_conflict_do_nothing()
    )


def without_mentions_of(text: str, username: str) -> str:
    """The text with each @mention of `username` written as "deleted member", others untouched.

    Every @username of the pattern goes, in code and link text too: the name is what must not stay.
    """
    username = username.lower()
    return MENTION.sub(lambda match: DELETED_MEMBER if match.group(1).lower() == username else match.group(0), text)
