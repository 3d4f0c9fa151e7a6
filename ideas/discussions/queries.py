"""Reads and writes of discussions: categories, threads, replies, accepted answers, following."""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ideas import posts
from ideas.discussions import search as discussion_search
from ideas.discussions.tables import (
    discussion_categories,
    thread_follows,
    threads,
)
from ideas.posts import AUTHOR_COLUMNS
from portal.accounts.tables import users
from portal.db import Database, utcnow
from portal.errors import NotFound
from portal.paging import Page, fetch_page

PAGE_SIZE = 25
REPLY_PAGE_SIZE = posts.REPLY.page_size

THREAD_REACTIONS = posts.THREAD.reaction_target
REPLY_REACTIONS = posts.REPLY.reaction_target


class CategoryNotFound(NotFound):
    message = "There is no discussion category at that address."


class SlugTaken(Exception):
    pass


class ThreadNotFound(NotFound):
    message = "There is no thread with that number."


class ReplyNotFound(NotFound):
    message = "There is no reply with that number."


class ThreadClosed(Exception):
    """The thread takes no replies; the message says why."""


# Categories


async def list_categories(db: Database) -> list[Any]:
    return await db.fetch_all(
        sa.select(discussion_categories).order_by(discussion_categories.c.position, discussion_categories.c.id)
    )


async def get_category_by_slug(db: Database, slug: str) -> Any:
    row = await db.fetch_one(sa.select(discussion_categories).where(discussion_categories.c.slug == slug))
    if row is None:
        raise CategoryNotFound(slug)
    return row


async def create_category(db: Database, **values: Any) -> int:
    async with db.transaction():
        await _check_slug_free(db, values["slug"], None)
        return await db.fetch_val(
            discussion_categories.insert().values(created_at=utcnow(), **values).returning(discussion_categories.c.id)
        )


async def update_category(db: Database, category_id: int, **values: Any) -> None:
    async with db.transaction():
        await _check_slug_free(db, values["slug"], category_id)
        await db.execute(
            discussion_categories.update().where(discussion_categories.c.id == category_id).values(**values)
        )


async def _check_slug_free(db: Database, slug: str, category_id: int | None) -> None:
    query = sa.select(discussion_categories.c.id).where(discussion_categories.c.slug == slug)
    if category_id is not None:
        query = query.where(discussion_categories.c.id != category_id)
    if await db.fetch_one(query) is not None:
        raise SlugTaken(slug)


# Threads


def _threads_query() -> sa.Select:
    return sa.select(
        threads,
        *AUTHOR_COLUMNS,
        discussion_categories.c.slug.label("category_slug"),
        discussion_categories.c.name.label("category_name"),
        discussion_categories.c.kind.label("category_kind"),
    ).select_from(
        threads.outerjoin(users, users.c.id == threads.c.author_id).join(
            discussion_categories, discussion_categories.c.id == threads.c.category_id
        )
    )


def thread_cursor(row: Any) -> str:
    return f"{int(row['last_activity_at'].timestamp() * 1_000_000)}-{row['id']}"


def parse_thread_cursor(cursor: str) -> tuple[datetime, int]:
    """(last activity, id) from a page link; ValueError when it is not one."""
    micros, _, thread_id = cursor.partition("-")
    if not (micros.isascii() and micros.isdecimal() and thread_id.isascii() and thread_id.isdecimal()):
        raise ValueError(cursor)
    if len(micros) > 17 or len(thread_id) > 18:
        raise ValueError(cursor)
    return datetime.fromtimestamp(int(micros) / 1_000_000, UTC), int(thread_id)


async def list_threads(
    db: Database, *, category_id: int | None = None, unanswered: bool = False, after: tuple | None = None
) -> Page:
    """Threads with the newest activity first; keyset on (last_activity_at, id), never OFFSET."""
    query = _threads_query().order_by(threads.c.last_activity_at.desc(), threads.c.id.desc())
    if category_id is not None:
        query = query.where(threads.c.category_id == category_id)
    if unanswered:
        query = query.where(threads.c.accepted_reply_id.is_(None))
    if after is not None:
        moment, thread_id = after
        query = query.where(
            sa.or_(
                threads.c.last_activity_at < moment,
                sa.and_(threads.c.last_activity_at == moment, threads.c.id < thread_id),
            )
        )
    return await fetch_page(db, query, PAGE_SIZE, thread_cursor)


async def get_thread(db: Database, thread_id: int) -> Any:
    row = await db.fetch_one(_threads_query().where(threads.c.id == thread_id))
    if row is None:
        raise ThreadNotFound(thread_id)
    return row


async def threads_by_ids(db: Database, thread_ids: list[int]) -> dict[int, Any]:
    if not thread_ids:
        return {}
    return {row["id"]: row for row in await db.fetch_all(_threads_query().where(threads.c.id.in_(thread_ids)))}


def closed_reason(thread: Any, now: datetime) -> str | None:
    """Why a thread takes no replies, or None when it does. Computed, so no job closes anything."""
    if thread["hidden_at"] is not None:
        return "This thread was hidden by a moderator."
    if thread["locked_at"] is not None:
        return "A moderator locked this thread: it takes no new replies."
    if thread["idea_id"] is not None:
        return "This thread became an idea; the conversation continues there."
    if thread["deadline"] is not None and now >= thread["deadline"]:
        return f"This post closed at its deadline, {thread['deadline']:%Y-%m-%d %H:%M} UTC."
    return None


async def create_thread(
    db: Database,
    *,
    category_id: int,
    author_id: int,
    title: str,
    body: str,
    body_html: str,
    deadline: datetime | None,
    mentioned: list[int],
    now: datetime,
) -> int:
    async with db.transaction():
        thread_id = await posts.create(
            db,
            posts.THREAD,
            category_id=category_id,
            author_id=author_id,
            title=title,
            body=body,
            body_html=body_html,
            deadline=deadline,
            last_activity_at=now,
            created_at=now,
        )
        await follow_automatically(db, author_id, thread_id)
        await discussion_search.index_thread(db, thread_id=thread_id, title=title, body=body)
        await posts.tell_mentioned(db, posts.THREAD, thread_id, title=title, user_ids=mentioned, actor_id=author_id)
        return thread_id


async def lock_thread(db: Database, thread_id: int) -> Any:
    row = await db.fetch_one(sa.select(threads).where(threads.c.id == thread_id).with_for_update(key_share=True))
    if row is None:
        raise ThreadNotFound(thread_id)
    return row


# Following


async def follow_automatically(db: Database, user_id: int, thread_id: int) -> None:
    await db.execute(
        db.insert(thread_follows)
        .values(user_id=user_id, thread_id=thread_id, following=True, created_at=utcnow())
        .on_conflict_do_nothing()
    )


async def set_thread_follow(db: Database, user_id: int, thread_id: int, following: bool) -> None:
    statement = db.insert(thread_follows).values(
        user_id=user_id, thread_id=thread_id, following=following, created_at=utcnow()
    )
    await db.execute(
        statement.on_conflict_do_update(index_elements=["user_id", "thread_id"], set_={"following": following})
    )


async def follows_thread(db: Database, user_id: int, thread_id: int) -> bool:
    return bool(
        await db.fetch_val(
            sa.select(thread_follows.c.following).where(
                thread_follows.c.user_id == user_id, thread_follows.c.thread_id == thread_id
            )
        )
    )


def followers_of(thread_id: int, *, except_user_id: int | None) -> sa.Select:
    query = sa.select(thread_follows.c.user_id).where(
        thread_follows.c.thread_id == thread_id, thread_follows.c.following == sa.true()
    )
    if except_user_id is not None:
        query = query.where(thread_follows.c.user_id != except_user_id)
    return query


async def edit_thread(
    db: Database,
    *,
    thread_id: int,
    editor_id: int,
    title: str,
    body: str,
    body_html: str,
    mentioned: list[int],
    now: datetime,
) -> None:
    """Change a thread's text; members newly mentioned hear of it, those mentioned before do not again."""
    async with db.transaction():
        await lock_thread(db, thread_id)
        await db.execute(
            threads.update()
            .where(threads.c.id == thread_id)
            .values(title=title, body=body, body_html=body_html, edited_at=now)
        )
        await discussion_search.index_thread(db, thread_id=thread_id, title=title, body=body)
        await posts.tell_mentioned(db, posts.THREAD, thread_id, title=title, user_ids=mentioned, actor_id=editor_id)


async def _thread_hidden(db: Database, thread_id: int) -> bool:
    return await posts.is_hidden(db, posts.THREAD, thread_id)
