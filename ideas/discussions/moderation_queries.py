"""What moderators do to threads and replies (called by moderation/), and turning a thread into an idea."""

from datetime import datetime

import sqlalchemy as sa

from ideas import queries as idea_queries
from ideas.discussions import search as discussion_search
from ideas.discussions.queries import ReplyNotFound, ThreadNotFound, lock_thread
from ideas.discussions.tables import discussion_categories, thread_replies, threads
from portal.db import Database
from portal.markdown import render_markdown
from portal.mention_records import copy_mentions


async def set_thread_hidden(db: Database, thread_id: int, *, reason: str | None, now: datetime) -> None:
    """Hide with a public reason, or (reason None) show again."""
    changed = await db.fetch_one(
        threads.update()
        .where(threads.c.id == thread_id)
        .values(hidden_at=now if reason is not None else None, hidden_reason=reason)
        .returning(threads.c.id)
    )
    if changed is None:
        raise ThreadNotFound(thread_id)


async def set_reply_hidden(db: Database, reply_id: int, *, reason: str | None, now: datetime) -> None:
    """Hide with a public reason, or (reason None) show again; a hidden reply's words find nothing."""
    changed = await db.fetch_one(
        thread_replies.update()
        .where(thread_replies.c.id == reply_id)
        .values(hidden_at=now if reason is not None else None, hidden_reason=reason)
        .returning(thread_replies.c.thread_id, thread_replies.c.body)
    )
    if changed is None:
        raise ReplyNotFound(reply_id)
    if reason is not None:
        await discussion_search.remove_reply(db, reply_id=reply_id)
    else:
        await discussion_search.index_reply(db, reply_id=reply_id, thread_id=changed["thread_id"], body=changed["body"])


async def set_thread_locked(db: Database, thread_id: int, *, locked: bool, now: datetime) -> None:
    changed = await db.fetch_one(
        threads.update()
        .where(threads.c.id == thread_id)
        .values(locked_at=now if locked else None)
        .returning(threads.c.id)
    )
    if changed is None:
        raise ThreadNotFound(thread_id)


async def move_thread(db: Database, thread_id: int, category_id: int) -> tuple[str, str]:
    """Move a thread to another category, counters included; returns (from name, to name)."""
    async with db.transaction():
        thread = await lock_thread(db, thread_id)
        names = {
            row["id"]: row["name"]
            for row in await db.fetch_all(
                sa.select(discussion_categories.c.id, discussion_categories.c.name).where(
                    discussion_categories.c.id.in_([thread["category_id"], category_id])
                )
            )
        }
        await db.execute(threads.update().where(threads.c.id == thread_id).values(category_id=category_id))
        for moved_from, delta in ((thread["category_id"], -1), (category_id, 1)):
            await db.execute(
                discussion_categories.update()
                .where(discussion_categories.c.id == moved_from)
                .values(thread_count=discussion_categories.c.thread_count + delta)
            )
        return names[thread["category_id"]], names[category_id]


async def mark_became_idea(db: Database, thread_id: int, idea_id: int) -> None:
    """The thread points to the idea it became, and from then on takes no replies."""
    await db.execute(threads.update().where(threads.c.id == thread_id).values(idea_id=idea_id))


class ThreadHidden(Exception):
    """A moderator hid the thread: it cannot come back as an idea."""


async def turn_into_idea(db: Database, *, thread_id: int, board_id: int, actor_id: int, thread_path: str) -> int:
    """Create an idea from the thread (by the thread's author, with a link back) and close the thread.

    Converting twice at once makes one idea: the second finds the thread already converted.
    """
    async with db.transaction():
        thread = await lock_thread(db, thread_id)
        if thread["idea_id"] is not None:
            return thread["idea_id"]
        if thread["hidden_at"] is not None:
            raise ThreadHidden(thread_id)
        body = f"{thread['body']}\n\n---\n\nFrom the discussion [{_escape_link_text(thread['title'])}]({thread_path})."
        idea_id = await idea_queries.create_idea(
            db,
            board_id=board_id,
            author_id=thread["author_id"] or actor_id,
            title=thread["title"],
            body=body,
            body_html=render_markdown(body),
        )
        await copy_mentions(db, from_kind="thread", from_id=thread_id, to_kind="idea", to_id=idea_id)
        await mark_became_idea(db, thread_id, idea_id)
        return idea_id


def _escape_link_text(text: str) -> str:
    return "".join(f"\\{char}" if char in "[]\\*_`<>" else char for char in text)
