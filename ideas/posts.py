"""What a post is, and what is done to any post, written once.

Ideas, comments, discussion threads and replies are four kinds of post: a row with an author, a
Markdown body, a moment it was written and edited, a hidden state with a public reason, reactions
counted on the row; a thread or an idea also has a title and can be locked and moved, and a
comment or reply belongs to one of them. A `PostKind` says where each of those lives; the
operations below (find, hide and show, lock, move, the edit rule, the page a child is on, what a
notification quotes, whether it is hidden) take a kind and so serve all four. Moderation
(ideas/moderation), notifications, editing and reactions ask here; the kinds' own modules keep
what only they do (votes, statuses and merges; accepted answers and deadlines).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ideas import search
from ideas.discussions import search as discussion_search
from ideas.discussions.tables import (
    discussion_categories,
    reply_reactions,
    thread_reactions,
    thread_replies,
    threads,
)
from ideas.tables import boards, comment_reactions, comments, idea_reactions, ideas
from portal.accounts.tables import users
from portal.db import Database
from portal.errors import NotFound
from portal.mentions import notify_mentioned
from portal.notifications.queries import About
from portal.reactions import ReactionTarget

AUTHOR_COLUMNS = (
    users.c.username.label("author_username"),
    users.c.display_name.label("author_display_name"),
    users.c.role.label("author_role"),
    users.c.is_founder.label("author_is_founder"),
)


class PostNotFound(NotFound):
    """No post of that kind with that id (or it is gone: a deleted comment); the message says which."""

    def __init__(self, kind: str, post_id: int, message: str = "") -> None:
        super().__init__(kind, post_id, message=message or f"There is no {kind} with that number.")


class ActionRefused(Exception):
    """The action does not apply to the post as it is; the message says why."""


@dataclass(frozen=True)
class Container:
    """Where a top-level post lives and can be moved between: a board, a discussion category."""

    table: sa.Table
    key: str  # the post's column naming it
    count: str  # the container's column counting its posts


# A child's search document: write(db, post_id, parent_id, body) and remove(db, post_id). A hidden
# child's words find nothing: its document goes while it is hidden. A hidden top-level post keeps
# its documents and the search page leaves it out for those who cannot read it.
Index = Callable[[Database, int, int, str], Awaitable[None]]
Unindex = Callable[[Database, int], Awaitable[None]]


@dataclass(frozen=True, eq=False)
class PostKind:
    name: str
    table: sa.Table
    reactions: sa.Table
    # The address of the page a top-level post is on ("/ideas"), or a child's anchor ("comment").
    path_prefix: str
    anchor: str = ""
    parent: "PostKind | None" = None
    parent_key: str | None = None
    container: Container | None = None
    # Columns that, when set, mean the post is gone from view: no reactions, nothing quoted.
    gone: tuple[str, ...] = ("hidden_at",)
    index: Index | None = None
    unindex: Unindex | None = None
    # How many children a page of the parent's shows (comments, replies).
    page_size: int = 0
    # What a mention's notification calls the post, given its (or its parent's) title.
    mentioned_in: str = "“{title}”"

    def __str__(self) -> str:
        return self.name

    @property
    def lockable(self) -> bool:
        return "locked_at" in self.table.c

    @property
    def reaction_target(self) -> ReactionTarget:
        return _reaction_targets(self)

    def path(self, row: Any) -> str:
        if self.parent is None:
            return f"{self.path_prefix}/{row['id']}"
        return f"{self.parent.path(_parent_row(self, row))}#{self.anchor}-{row['id']}"

    def label(self, row: Any) -> str:
        """What a list (the moderation queue and log) calls the post."""
        if self.parent is None:
            return row["title"]
        return f"{self.name} {self.parent_relation} “{row[f'{self.parent.name}_title']}”"

    @property
    def parent_relation(self) -> str:
        return "on" if self.name == "comment" else "to"

    def mention_subject(self, title: str) -> str:
        return "mentioned you in " + self.mentioned_in.format(title=title)


def _reaction_targets(kind: PostKind) -> ReactionTarget:
    return ReactionTarget(kind.reactions, kind.reactions.c[f"{kind.name}_id"], kind.table, kind.gone)


def _parent_row(kind: PostKind, row: Any) -> dict[str, Any]:
    return {"id": row[kind.parent_key]}


async def _index_comment(db: Database, comment_id: int, idea_id: int, body: str) -> None:
    await search.index_comment(db, comment_id=comment_id, idea_id=idea_id, body=body)


async def _unindex_comment(db: Database, comment_id: int) -> None:
    await search.remove_comment(db, comment_id=comment_id)


async def _index_reply(db: Database, reply_id: int, thread_id: int, body: str) -> None:
    await discussion_search.index_reply(db, reply_id=reply_id, thread_id=thread_id, body=body)


async def _unindex_reply(db: Database, reply_id: int) -> None:
    await discussion_search.remove_reply(db, reply_id=reply_id)


IDEA = PostKind(
    "idea",
    ideas,
    idea_reactions,
    "/ideas",
    container=Container(boards, "board_id", "idea_count"),
    mentioned_in="the idea “{title}”",
)
COMMENT = PostKind(
    "comment",
    comments,
    comment_reactions,
    "/ideas",
    anchor="comment",
    parent=IDEA,
    parent_key="idea_id",
    gone=("deleted_at", "hidden_at"),
    index=_index_comment,
    unindex=_unindex_comment,
    page_size=100,
    mentioned_in="a comment on “{title}”",
)
THREAD = PostKind(
    "thread",
    threads,
    thread_reactions,
    "/discussions",
    container=Container(discussion_categories, "category_id", "thread_count"),
)
REPLY = PostKind(
    "reply",
    thread_replies,
    reply_reactions,
    "/discussions",
    anchor="reply",
    parent=THREAD,
    parent_key="thread_id",
    index=_index_reply,
    unindex=_unindex_reply,
    page_size=50,
    mentioned_in="a reply to “{title}”",
)
KINDS = {kind.name: kind for kind in (IDEA, COMMENT, THREAD, REPLY)}


def with_author(table: sa.Table) -> sa.Select:
    """The table's rows with their authors' names and roles (a deleted author's are NULL)."""
    return sa.select(table, *AUTHOR_COLUMNS).select_from(table.outerjoin(users, users.c.id == table.c.author_id))


def _found(kind: PostKind) -> sa.Select:
    query = with_author(kind.table)
    if kind.parent is not None:
        parent = kind.parent.table
        query = query.add_columns(parent.c.title.label(f"{kind.parent.name}_title")).join(
            parent, parent.c.id == kind.table.c[kind.parent_key]
        )
    return query


async def find(db: Database, kind: PostKind, post_ids: list[int]) -> dict[int, Any]:
    """The posts with these ids, with their authors and (for a child) its parent's title."""
    if not post_ids:
        return {}
    rows = await db.fetch_all(_found(kind).where(kind.table.c.id.in_(post_ids)))
    return {row["id"]: row for row in rows}


async def get(db: Database, kind: PostKind, post_id: int) -> Any:
    """The post, as find() gives it; PostNotFound when there is none."""
    row = (await find(db, kind, [post_id])).get(post_id)
    if row is None:
        raise PostNotFound(kind.name, post_id)
    return row


@dataclass(frozen=True)
class Post:
    """A post as moderation shows it: its kind, its row (from find()), what it is called and where."""

    kind: PostKind
    row: Any

    @property
    def id(self) -> int:
        return self.row["id"]

    @property
    def label(self) -> str:
        return self.kind.label(self.row)

    @property
    def path(self) -> str:
        return self.kind.path(self.row)

    @property
    def hidden(self) -> bool:
        return self.row["hidden_at"] is not None

    @property
    def locked(self) -> bool:
        return self.kind.lockable and self.row["locked_at"] is not None


async def set_hidden(db: Database, kind: PostKind, post_id: int, *, reason: str | None, now: datetime) -> None:
    """Hide with a public reason, or (reason None) show again; a child's search document goes
    while it is hidden (or deleted) and comes back when it is shown."""
    table = kind.table
    changed = await db.fetch_one(
        table.update()
        .where(table.c.id == post_id)
        .values(hidden_at=now if reason is not None else None, hidden_reason=reason)
        .returning(*(table.c[name] for name in ("id", "body", *kind.gone, *filter(None, [kind.parent_key]))))
    )
    if changed is None:
        raise PostNotFound(kind.name, post_id)
    if kind.index is None:
        return
    if any(changed[name] is not None for name in kind.gone):
        await kind.unindex(db, post_id)
    else:
        await kind.index(db, post_id, changed[kind.parent_key], changed["body"])


async def set_locked(db: Database, kind: PostKind, post_id: int, *, locked: bool, now: datetime) -> None:
    """Lock (no new comments or replies) or unlock a top-level post."""
    if not kind.lockable:
        raise ActionRefused("Only ideas and threads can be locked.")
    table = kind.table
    changed = await db.fetch_one(
        table.update().where(table.c.id == post_id).values(locked_at=now if locked else None).returning(table.c.id)
    )
    if changed is None:
        raise PostNotFound(kind.name, post_id)


async def create(db: Database, kind: PostKind, **values: Any) -> int:
    """Write a new idea or thread and count it in its board or category; call it inside the
    transaction that writes what comes with the post (its search document, follows)."""
    table = kind.table
    post_id = await db.fetch_val(table.insert().values(**values).returning(table.c.id))
    await _count(db, kind.container, values[kind.container.key], 1)
    return post_id


async def _count(db: Database, container: Container, container_id: int, delta: int) -> None:
    holder = container.table
    count = holder.c[container.count]
    await db.execute(holder.update().where(holder.c.id == container_id).values({count: count + delta}))


async def move(db: Database, kind: PostKind, post_id: int, container_id: int) -> tuple[str, str]:
    """Move a post to another board or category, counters included; returns (from name, to name)."""
    container = kind.container
    table, key, holder = kind.table, kind.table.c[container.key], container.table
    async with db.transaction():
        moved_from = await db.fetch_val(sa.select(key).where(table.c.id == post_id).with_for_update(key_share=True))
        if moved_from is None:
            raise PostNotFound(kind.name, post_id)
        names = {
            row["id"]: row["name"]
            for row in await db.fetch_all(
                sa.select(holder.c.id, holder.c.name).where(holder.c.id.in_([moved_from, container_id]))
            )
        }
        await db.execute(table.update().where(table.c.id == post_id).values({container.key: container_id}))
        await _count(db, container, moved_from, -1)
        await _count(db, container, container_id, 1)
        return names[moved_from], names[container_id]


# Editing


def author_may_edit(post: Any, user_id: int | None, edit_until: datetime) -> bool:
    """Whether the post's author may still edit it: within the edit window, while it is shown."""
    return (
        user_id is not None
        and user_id == post["author_id"]
        and post["hidden_at"] is None
        and post["created_at"] >= edit_until
    )


def may_edit(user: Any, post: Any, *, window: timedelta, now: datetime) -> bool:
    """The one rule for every post: a maintainer at any time, the author within the edit window
    while the post is shown (a hidden post waits for a moderator)."""
    if not user.is_authenticated:
        return False
    return user.is_maintainer or author_may_edit(post, user.id, now - window)


def edit_refusal(window_minutes: int) -> str:
    return f"Authors can edit for {window_minutes} minutes after posting; after that, ask a maintainer."


# Children and pages


def id_cursor(row: Any) -> str:
    """The `after` cursor of a page of comments or replies (oldest first, by id)."""
    return str(row["id"])


async def page_cursor(
    db: Database, kind: PostKind, parent_id: int, post_id: int, *, page_size: int | None = None
) -> str | None:
    """The `after` cursor of the parent's page of children that shows `post_id` (None: the first
    page); pages of `page_size` children (the kind's own by default)."""
    page_size = page_size or kind.page_size
    table = kind.table
    of_parent = table.c[kind.parent_key] == parent_id
    position = await db.fetch_val(sa.select(sa.func.count()).where(of_parent, table.c.id < post_id))
    page_start = position - position % page_size
    if page_start == 0:
        return None
    return str(
        await db.fetch_val(sa.select(table.c.id).where(of_parent).order_by(table.c.id).offset(page_start - 1).limit(1))
    )


# What notifications ask and say


async def tell_mentioned(
    db: Database,
    kind: PostKind,
    post_id: int,
    *,
    title: str,
    user_ids: list[int],
    actor_id: int,
    parent_id: int | None = None,
) -> None:
    """Members the post (of `title`, or its parent's) newly mentions hear of it; those it
    mentioned before are not told again (portal/mentions.py)."""
    row = {"id": post_id} if kind.parent is None else {"id": post_id, kind.parent_key: parent_id}
    await notify_mentioned(
        db,
        kind=kind.name,
        target_id=post_id,
        user_ids=list(user_ids),
        actor_id=actor_id,
        subject=kind.mention_subject(title),
        path=kind.path(row),
        about=About(kind.name, post_id)
        if kind.parent is None
        else About(kind.parent.name, parent_id, kind.name, post_id),
    )


async def shown_sources(db: Database, kind: PostKind, post_ids: list[int]) -> dict[int, str]:
    """The Markdown of those posts neither hidden nor deleted: what an email about one quotes."""
    table = kind.table
    rows = await db.fetch_all(
        sa.select(table.c.id, table.c.body).where(
            table.c.id.in_(post_ids), *(table.c[name].is_(None) for name in kind.gone)
        )
    )
    return {row["id"]: row["body"] for row in rows}


async def is_hidden(db: Database, kind: PostKind, post_id: int) -> bool:
    table = kind.table
    return bool(await db.fetch_val(sa.select(table.c.hidden_at.is_not(None)).where(table.c.id == post_id)))
