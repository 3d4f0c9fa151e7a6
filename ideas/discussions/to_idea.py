"""Turning a thread into an idea."""

from ideas import queries as idea_queries
from ideas.discussions.queries import lock_thread
from ideas.discussions.tables import threads
from portal.db import Database
from portal.markdown import render_markdown
from portal.mention_records import copy_mentions


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
