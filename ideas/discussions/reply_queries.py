"""Reads and writes of replies: posting, paging, accepting an answer, editing; the accepted-answer counts."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ideas import posts
from ideas.discussions import search as discussion_search
from ideas.discussions.queries import (
    AUTHOR_COLUMNS,
    REPLY_PAGE_SIZE,
    Page,
    ReplyNotFound,
    ThreadClosed,
    closed_reason,
    follow_automatically,
    followers_of,
    lock_thread,
)
from ideas.discussions.tables import thread_replies, threads
from portal.accounts.tables import users
from portal.db import Database
from portal.mentions import mentioned_audience
from portal.notifications.queries import About, Audience, notify, notify_once
from portal.paging import fetch_page
from portal.people.contribution import record_contribution


async def list_replies(db: Database, thread_id: int, *, after: int | None = None) -> Page:
    """One page of a thread's replies, oldest first."""
    query = (
        sa.select(thread_replies, *AUTHOR_COLUMNS)
        .select_from(thread_replies.outerjoin(users, users.c.id == thread_replies.c.author_id))
        .where(thread_replies.c.thread_id == thread_id)
        .order_by(thread_replies.c.id)
    )
    if after is not None:
        query = query.where(thread_replies.c.id > after)
    return await fetch_page(db, query, REPLY_PAGE_SIZE, posts.id_cursor)


async def get_reply(db: Database, reply_id: int) -> Any:
    """The reply with its author and its thread's title (`thread_title`)."""
    try:
        return await posts.get(db, posts.REPLY, reply_id)
    except posts.PostNotFound:
        raise ReplyNotFound(reply_id) from None


async def replies_by_ids(db: Database, reply_ids: list[int]) -> dict[int, Any]:
    return await posts.find(db, posts.REPLY, reply_ids)


async def add_reply(
    db: Database, *, thread_id: int, author_id: int, body: str, body_html: str, mentioned: list[int], now: datetime
) -> int:
    """Reply, move the thread's counters, and tell its followers; ThreadClosed when it takes no replies."""
    async with db.transaction():
        thread = await lock_thread(db, thread_id)
        reason = closed_reason(thread, now)
        if reason:
            raise ThreadClosed(reason)
        reply_id = await db.fetch_val(
            thread_replies.insert()
            .values(thread_id=thread_id, author_id=author_id, body=body, body_html=body_html, created_at=now)
            .returning(thread_replies.c.id)
        )
        await db.execute(
            threads.update()
            .where(threads.c.id == thread_id)
            .values(reply_count=threads.c.reply_count + 1, last_activity_at=now)
        )
        await follow_automatically(db, author_id, thread_id)
        await discussion_search.index_reply(db, reply_id=reply_id, thread_id=thread_id, body=body)
        # One notification each: whoever the reply mentions hears of the mention, not also as a follower.
        mentioned_now = await mentioned_audience(
            db,
            kind="reply",
            target_id=reply_id,
            user_ids=mentioned,
            actor_id=author_id,
            subject=posts.REPLY.mention_subject(thread["title"]),
        )
        followers = Audience(
            followers_of(thread_id, except_user_id=author_id), "reply", f"replied to “{thread['title']}”"
        )
        await notify_once(
            db,
            [mentioned_now, followers],
            actor_id=author_id,
            path=f"/discussions/{thread_id}#reply-{reply_id}",
            about=About("thread", thread_id, "reply", reply_id),
        )
        return reply_id


async def shown_reply_sources(db: Database, reply_ids: list[int]) -> dict[int, str]:
    """The Markdown of those replies not hidden: what an email about one quotes."""
    return await posts.shown_sources(db, posts.REPLY, reply_ids)


async def reply_page_cursor(db: Database, thread_id: int, reply_id: int) -> str | None:
    """The `after` cursor of the reply page that shows `reply_id` (None: the first page)."""
    return await posts.page_cursor(db, posts.REPLY, thread_id, reply_id)


async def accept_reply(db: Database, *, thread_id: int, reply_id: int | None, actor_id: int) -> None:
    """Mark `reply_id` as the thread's accepted answer (None: no accepted answer), in one transaction."""
    async with db.transaction():
        thread = await lock_thread(db, thread_id)
        if reply_id is not None:
            reply = await db.fetch_one(
                sa.select(thread_replies.c.author_id, thread_replies.c.hidden_at).where(
                    thread_replies.c.id == reply_id, thread_replies.c.thread_id == thread_id
                )
            )
            if reply is None or reply["hidden_at"] is not None:
                raise ReplyNotFound(reply_id)
        if thread["accepted_reply_id"] == reply_id:
            return
        if thread["accepted_reply_id"] is not None:
            previous = await db.fetch_val(
                sa.select(thread_replies.c.author_id).where(thread_replies.c.id == thread["accepted_reply_id"])
            )
            await record_contribution(db, previous, accepted_answers=-1)
        if reply_id is not None:
            await record_contribution(db, reply["author_id"], accepted_answers=1)
        await db.execute(
            thread_replies.update()
            .where(thread_replies.c.thread_id == thread_id, thread_replies.c.is_accepted == sa.true())
            .values(is_accepted=False)
        )
        if reply_id is not None:
            await db.execute(thread_replies.update().where(thread_replies.c.id == reply_id).values(is_accepted=True))
        await db.execute(threads.update().where(threads.c.id == thread_id).values(accepted_reply_id=reply_id))
        if reply_id is not None and reply["author_id"] not in (None, actor_id):
            await notify(
                db,
                sa.select(users.c.id).where(users.c.id == reply["author_id"]),
                kind="accepted",
                actor_id=actor_id,
                subject=f"accepted your answer to “{thread['title']}”",
                path=f"/discussions/{thread_id}#reply-{reply_id}",
                about=About("thread", thread_id, "reply", reply_id),
            )


async def accepted_answer_counts(db: Database, user_ids: list[int] | None = None) -> dict[int, int]:
    """How many accepted answers each member wrote (all members with any, or just these)."""
    query = (
        sa.select(thread_replies.c.author_id, sa.func.count().label("accepted"))
        .where(thread_replies.c.is_accepted == sa.true(), thread_replies.c.author_id.is_not(None))
        .group_by(thread_replies.c.author_id)
    )
    if user_ids is not None:
        if not user_ids:
            return {}
        query = query.where(thread_replies.c.author_id.in_(user_ids))
    return {row["author_id"]: row["accepted"] for row in await db.fetch_all(query)}


async def edit_reply(
    db: Database, *, reply_id: int, editor_id: int, body: str, body_html: str, mentioned: list[int], now: datetime
) -> int:
    """Change a reply's text (newly mentioned members hear of it); returns its thread's id."""
    async with db.transaction():
        edited = await db.fetch_one(
            thread_replies.update()
            .where(thread_replies.c.id == reply_id)
            .values(body=body, body_html=body_html, edited_at=now)
            .returning(thread_replies.c.thread_id, thread_replies.c.hidden_at)
        )
        if edited is None:
            raise ReplyNotFound(reply_id)
        if edited["hidden_at"] is None:  # a hidden reply stays out of search until shown again
            await discussion_search.index_reply(db, reply_id=reply_id, thread_id=edited["thread_id"], body=body)
        title = await db.fetch_val(sa.select(threads.c.title).where(threads.c.id == edited["thread_id"]))
        await posts.tell_mentioned(
            db,
            posts.REPLY,
            reply_id,
            parent_id=edited["thread_id"],
            title=title,
            user_ids=mentioned,
            actor_id=editor_id,
        )
        return edited["thread_id"]


async def accepted_answers_by(db: Database, user_id: int, limit: int = 10) -> list[Any]:
    """The member's latest accepted answers, with their threads' titles."""
    return await db.fetch_all(
        sa.select(thread_replies.c.id, thread_replies.c.thread_id, threads.c.title)
        .join(threads, threads.c.id == thread_replies.c.thread_id)
        .where(
            thread_replies.c.author_id == user_id,
            thread_replies.c.is_accepted == sa.true(),
            thread_replies.c.hidden_at.is_(None),
            threads.c.hidden_at.is_(None),
        )
        .order_by(thread_replies.c.id.desc())
        .limit(limit)
    )
