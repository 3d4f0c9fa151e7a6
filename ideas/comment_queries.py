"""Reads and writes of comments: the SQL of discussing an idea."""

import json
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from ideas import following, posts, queries, reactions, search, tagging, webhook_events
from ideas.queries import Page, lock_idea, mark_responded, with_author
from ideas.tables import comment_reactions, comments, ideas
from portal.db import Database, parse_utc, utcnow
from portal.errors import Closed, NotFound
from portal.mentions import mentioned_audience
from portal.paging import page_of
from portal.statements import Row, kept_by_shape

PAGE_SIZE = posts.COMMENT.page_size


# What a comment on the idea's page shows (ideas/rows.py): not its Markdown source, and its
# reaction counts as their JSON text, which the page parses only for a comment it renders anew.
_SHOWN_COLUMNS = (
    comments.c.id,
    comments.c.author_id,
    comments.c.body_html,
    sa.type_coerce(comments.c.reaction_counts, sa.Text).label("reaction_counts"),
    comments.c.created_at,
    comments.c.edited_at,
    comments.c.edited_by_id,
    comments.c.deleted_at,
    comments.c.hidden_at,
    comments.c.hidden_reason,
)


@kept_by_shape
def _comments(dialect_name: str, after: bool, viewer: bool, shown: bool) -> sa.Select:
    """A page of comments; for a member (viewer_id), with their reactions to each (`my_reactions`)."""
    query = with_author(comments)
    if shown:
        query = query.with_only_columns(*_SHOWN_COLUMNS, *query.selected_columns[len(comments.c) :])
    query = query.where(comments.c.idea_id == sa.bindparam("idea_id"))
    if after:
        query = query.where(comments.c.id > sa.bindparam("after"))
    if viewer:
        mine = (
            sa.select(tagging.json_list(dialect_name, comment_reactions.c.reaction))
            .where(
                comment_reactions.c.comment_id == comments.c.id,
                comment_reactions.c.user_id == sa.bindparam("viewer_id"),
            )
            .scalar_subquery()
        )
        query = query.add_columns(sa.type_coerce(mine, sa.JSON).label("my_reactions"))
    return query.order_by(comments.c.id).limit(PAGE_SIZE + 1)


async def list_comments(db: Database, idea_id: int, *, after: int | None = None) -> Page:
    """One page of an idea's comments, oldest first."""
    values = {"idea_id": idea_id} if after is None else {"idea_id": idea_id, "after": after}
    return _page(await db.fetch_all(_comments(db.dialect_name, after is not None, False, False), values))


def _page(rows: list[Any]) -> Page:
    return page_of(rows, PAGE_SIZE, posts.id_cursor, Page)


@kept_by_shape
def _idea_page(dialect_name: str, viewer: bool, after: bool) -> tuple[sa.Select, sa.Select, tuple[str, ...]]:
    """The idea's statement, its page of comments' statement, and on PostgreSQL the idea's
    statement with that page as JSON text (a list of each comment's values) and the comments' keys."""
    idea = queries.idea_statement(dialect_name, viewer)
    page = _comments(dialect_name, after, viewer, True)
    if dialect_name != "postgresql":
        return idea, page, ()
    shown = page.subquery()
    # The reaction counts as text, as SQLite gives them (ideas/rows.py parses them only for a
    # comment rendered anew).
    values = [sa.cast(column, sa.Text) if column.key == "reaction_counts" else column for column in shown.c]
    aggregate = sa.select(sa.func.json_agg(sa.func.json_build_array(*values))).select_from(shown)
    with_page = idea.add_columns(sa.type_coerce(aggregate.scalar_subquery(), sa.Text).label("comments"))
    return with_page, page, tuple(column.key for column in page.selected_columns)


async def idea_page(
    db: Database, idea_id: int, *, viewer_id: int | None = None, after: int | None = None
) -> tuple[Any, Page]:
    """What the idea's page shows: the idea (queries.idea_statement()) and a page of its
    comments, oldest first (after comment `after`); given `viewer_id`, with that member's
    reactions to each (`my_reactions`). The comments carry what the page shows of them
    (ideas/rows.py), their reaction counts as JSON text.

    On PostgreSQL in one statement, the comments as JSON: a statement is a round trip there,
    which costs this process more than parsing the JSON. On SQLite it is a call into the
    library, which costs less than building and parsing the JSON: two statements.
    """
    values = {"idea_id": idea_id, "viewer_id": viewer_id, "after": after}
    values = {name: value for name, value in values.items() if value is not None}
    idea_statement, page_statement, keys = _idea_page(db.dialect_name, viewer_id is not None, after is not None)
    row = await db.fetch_one(idea_statement, values)
    if row is None:
        raise queries.IdeaNotFound(idea_id)
    if not keys:
        return row, _page(await db.fetch_all(page_statement, values))
    comments = [Row(zip(keys, shown, strict=True)) for shown in json.loads(row["comments"] or "[]")]
    for comment in comments:
        for key in _TIMES:
            if comment[key] is not None:
                comment[key] = parse_utc(comment[key])
    # In the order of the page's subquery, which an aggregate is not bound to keep.
    comments.sort(key=itemgetter("id"))
    return row, _page(comments)


_TIMES = ("created_at", "edited_at", "deleted_at", "hidden_at")


async def comment_page_cursor(db: Database, idea_id: int, comment_id: int) -> str | None:
    """The `after` cursor of the comment page that shows `comment_id` (None: the first page)."""
    return await posts.page_cursor(db, posts.COMMENT, idea_id, comment_id, page_size=PAGE_SIZE)


class IdeaClosedToComments(Closed):
    """A moderator locked or hid the idea: it takes no new comments (the site and the API say so)."""

    message = "A moderator locked or hid this idea: it takes no new comments."


async def add_comment(
    db: Database,
    *,
    idea_id: int,
    author_id: int,
    body: str,
    body_html: str,
    official: bool = False,
    mentioned: list[int] = (),
) -> int:
    """Add a comment and tell the idea's followers; a maintainer's comment is an official response."""
    async with db.transaction():
        # Locked, so that a merge running at the same moment moves this comment or refuses it.
        idea = await lock_idea(db, idea_id)
        if idea["hidden_at"] is not None or idea["locked_at"] is not None:
            raise IdeaClosedToComments(idea_id)
        title = idea["title"]
        now = utcnow()
        comment_id = await db.fetch_val(
            comments.insert()
            .values(idea_id=idea_id, author_id=author_id, body=body, body_html=body_html, created_at=now)
            .returning(comments.c.id)
        )
        await db.execute(
            ideas.update().where(ideas.c.id == idea_id).values(comment_count=ideas.c.comment_count + 1, updated_at=now)
        )
        await search.index_comment(db, comment_id=comment_id, idea_id=idea_id, body=body)
        if official:
            await mark_responded(db, idea_id, now)
        await following.follow_automatically(db, author_id, idea_id)
        # One notification each: whoever the comment mentions hears of the mention, not also as a follower.
        await following.tell_followers(
            db,
            idea_id,
            kind="response" if official else "comment",
            actor_id=author_id,
            subject=f"{'responded' if official else 'commented'} on “{title}”",
            comment_id=comment_id,
            more_specific=[
                await mentioned_audience(
                    db,
                    kind="comment",
                    target_id=comment_id,
                    user_ids=list(mentioned),
                    actor_id=author_id,
                    subject=posts.COMMENT.mention_subject(title),
                )
            ],
        )
        await webhook_events.comment_created(db, comment_id)
        return comment_id


async def _tell_mentioned(db: Database, idea_id: int, comment_id: int, mentioned: list[int], actor_id: int) -> None:
    if mentioned:
        title = await db.fetch_val(sa.select(ideas.c.title).where(ideas.c.id == idea_id))
        await posts.tell_mentioned(
            db, posts.COMMENT, comment_id, parent_id=idea_id, title=title, user_ids=mentioned, actor_id=actor_id
        )


async def shown_comment_sources(db: Database, comment_ids: list[int]) -> dict[int, str]:
    """The Markdown of those comments neither deleted nor hidden: what an email about one quotes."""
    return await posts.shown_sources(db, posts.COMMENT, comment_ids)


class CommentNotFound(NotFound):
    message = "There is no comment with that number."


async def get_comment(db: Database, comment_id: int) -> Any:
    row = await db.fetch_one(sa.select(comments).where(comments.c.id == comment_id))
    if row is None:
        raise CommentNotFound(comment_id)
    return row


async def get_comment_with_author(db: Database, comment_id: int) -> Any:
    row = await db.fetch_one(with_author(comments).where(comments.c.id == comment_id))
    if row is None:
        raise CommentNotFound(comment_id)
    return row


async def edit_comment(
    db: Database,
    *,
    comment_id: int,
    editor_id: int,
    by_author: bool,
    body: str,
    body_html: str,
    mentioned: list[int] = (),
) -> None:
    """Change a comment's text; a maintainer's edit stays marked even if the author edits again."""
    async with db.transaction():
        # The condition on deleted_at makes an edit that races a deletion change nothing.
        edited = await db.fetch_one(
            comments.update()
            .where(comments.c.id == comment_id, comments.c.deleted_at.is_(None))
            .values(
                body=body,
                body_html=body_html,
                edited_at=utcnow(),
                edited_by_id=comments.c.edited_by_id if by_author else editor_id,
            )
            .returning(comments.c.idea_id, comments.c.hidden_at)
        )
        if edited is None:
            raise CommentNotFound(comment_id)
        if edited["hidden_at"] is None:  # a hidden comment stays out of search until shown again
            await search.index_comment(db, comment_id=comment_id, idea_id=edited["idea_id"], body=body)
        await _tell_mentioned(db, edited["idea_id"], comment_id, mentioned, editor_id)


async def delete_comment(db: Database, *, comment_id: int, actor_id: int, by_author: bool) -> int:
    """Leave a tombstone where the comment was; returns the idea's id.

    The idea's row is locked before the comment's, the order a merge takes them in, and the
    comment is only changed if it is still live and still on that idea (a merge may move it).
    """
    for _ in range(3):
        async with db.transaction():
            idea_id = await db.fetch_val(sa.select(comments.c.idea_id).where(comments.c.id == comment_id))
            if idea_id is None:
                raise CommentNotFound(comment_id)
            await db.fetch_one(sa.select(ideas.c.id).where(ideas.c.id == idea_id).with_for_update(key_share=True))
            deleted = await db.fetch_one(
                comments.update()
                .where(comments.c.id == comment_id, comments.c.idea_id == idea_id, comments.c.deleted_at.is_(None))
                .values(body="", body_html="", deleted_at=utcnow(), edited_by_id=None if by_author else actor_id)
                .returning(comments.c.id)
            )
            if deleted is None:
                still_there = await db.fetch_one(
                    sa.select(comments.c.deleted_at).where(comments.c.id == comment_id, comments.c.idea_id == idea_id)
                )
                if still_there is not None:  # deleted by someone else meanwhile
                    raise CommentNotFound(comment_id)
                continue  # merged into another idea meanwhile: try again there
            await db.execute(
                ideas.update().where(ideas.c.id == idea_id).values(comment_count=ideas.c.comment_count - 1)
            )
            await search.remove_comment(db, comment_id=comment_id)
            await reactions.clear_comment_reactions(db, comment_id)
            return idea_id
    raise CommentNotFound(comment_id)
