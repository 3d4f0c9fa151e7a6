"""Who follows an idea or a board, and telling them what happened (the SQL of following)."""

from collections.abc import Sequence

import sqlalchemy as sa

from ideas.tables import board_follows, idea_follows, ideas
from portal.db import Database, utcnow
from portal.notifications.queries import About, Audience, notify_once


async def follow_automatically(db: Database, user_id: int, idea_id: int) -> None:
    """Authors, voters and commenters follow the idea, unless they unfollowed it before."""
    await db.execute(
        db.insert(idea_follows)
        .values(user_id=user_id, idea_id=idea_id, following=True, created_at=utcnow())
        .on_conflict_do_nothing()
    )


async def set_idea_follow(db: Database, user_id: int, idea_id: int, following: bool) -> None:
    statement = db.insert(idea_follows).values(
        user_id=user_id, idea_id=idea_id, following=following, created_at=utcnow()
    )
    await db.execute(
        statement.on_conflict_do_update(index_elements=["user_id", "idea_id"], set_={"following": following})
    )


async def set_board_follow(db: Database, user_id: int, board_id: int, following: bool) -> None:
    if following:
        await db.execute(
            db.insert(board_follows)
            .values(user_id=user_id, board_id=board_id, created_at=utcnow())
            .on_conflict_do_nothing()
        )
    else:
        await db.execute(
            board_follows.delete().where(board_follows.c.user_id == user_id, board_follows.c.board_id == board_id)
        )


async def follows_board(db: Database, user_id: int, board_id: int) -> bool:
    row = await db.fetch_one(
        sa.select(board_follows.c.user_id).where(
            board_follows.c.user_id == user_id, board_follows.c.board_id == board_id
        )
    )
    return row is not None


def followers_of(idea_id: int, *, except_user_id: int | None) -> sa.Select:
    """Members who hear about this idea: its followers and its board's, less those who unfollowed it."""
    idea_followers = sa.select(idea_follows.c.user_id).where(
        idea_follows.c.idea_id == idea_id, idea_follows.c.following == sa.true()
    )
    board_followers = (
        sa.select(board_follows.c.user_id)
        .join(ideas, ideas.c.board_id == board_follows.c.board_id)
        .where(ideas.c.id == idea_id)
        .where(
            ~sa.exists().where(
                idea_follows.c.idea_id == idea_id,
                idea_follows.c.user_id == board_follows.c.user_id,
                idea_follows.c.following == sa.false(),
            )
        )
    )
    everyone = sa.union(idea_followers, board_followers).subquery()
    query = sa.select(everyone.c.user_id)
    if except_user_id is not None:
        query = query.where(everyone.c.user_id != except_user_id)
    return query


def board_followers_of(board_id: int, *, except_user_id: int) -> sa.Select:
    return sa.select(board_follows.c.user_id).where(
        board_follows.c.board_id == board_id, board_follows.c.user_id != except_user_id
    )


async def tell_followers(
    db: Database,
    idea_id: int,
    *,
    kind: str,
    actor_id: int | None,
    subject: str,
    comment_id: int | None = None,
    more_specific: Sequence[Audience | None] = (),
) -> None:
    """Tell the idea's followers (of a comment on it, given `comment_id`); those in a
    `more_specific` audience (mentioned, say) hear of it only that way, once."""
    followers = Audience(followers_of(idea_id, except_user_id=actor_id), kind, subject)
    if comment_id is None:
        path, about = f"/ideas/{idea_id}", About("idea", idea_id)
    else:
        path, about = f"/ideas/{idea_id}#comment-{comment_id}", About("idea", idea_id, "comment", comment_id)
    await notify_once(db, [*more_specific, followers], actor_id=actor_id, path=path, about=about)


async def move_followers(db: Database, *, from_idea_id: int, to_idea_id: int) -> None:
    """The followers of a merged idea follow the idea it went into (an unfollow there stands)."""
    rows = await db.fetch_all(
        sa.select(idea_follows.c.user_id).where(
            idea_follows.c.idea_id == from_idea_id, idea_follows.c.following == sa.true()
        )
    )
    for row in rows:
        await follow_automatically(db, row["user_id"], to_idea_id)
