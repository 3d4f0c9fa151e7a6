"""What the member's data download holds of the ideas and discussions (export_sections in
ideas/domain.py; see portal/people/export.py)."""

from typing import Any

import sqlalchemy as sa

from ideas.discussions.tables import (
    discussion_categories,
    reply_reactions,
    thread_follows,
    thread_reactions,
    thread_replies,
    threads,
)
from ideas.tables import board_follows, boards, comment_reactions, comments, idea_follows, idea_reactions, ideas, votes
from portal.db import Database
from portal.people.export import plain as _plain
from portal.people.export import section


async def export_ideas(db: Database, user_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch_all(
        sa.select(ideas, boards.c.slug.label("board"))
        .join(boards, boards.c.id == ideas.c.board_id)
        .where(ideas.c.author_id == user_id)
        .order_by(ideas.c.id)
    )
    return [_plain(row, "id", "board", "title", "body", "status", "created_at", "edited_at") for row in rows]


async def export_comments(db: Database, user_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch_all(sa.select(comments).where(comments.c.author_id == user_id).order_by(comments.c.id))
    return [_plain(row, "id", "idea_id", "body", "created_at", "edited_at", "deleted_at") for row in rows]


async def export_threads(db: Database, user_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch_all(
        sa.select(threads, discussion_categories.c.slug.label("category"))
        .join(discussion_categories, discussion_categories.c.id == threads.c.category_id)
        .where(threads.c.author_id == user_id)
        .order_by(threads.c.id)
    )
    fields = ("id", "category", "title", "body", "deadline", "created_at", "edited_at", "hidden_at")
    return [_plain(row, *fields) for row in rows]


async def export_replies(db: Database, user_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch_all(
        sa.select(thread_replies).where(thread_replies.c.author_id == user_id).order_by(thread_replies.c.id)
    )
    fields = ("id", "thread_id", "body", "is_accepted", "created_at", "edited_at", "hidden_at")
    return [_plain(row, *fields) for row in rows]


async def export_votes(db: Database, user_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch_all(
        sa.select(votes.c.idea_id, ideas.c.title, votes.c.created_at)
        .join(ideas, ideas.c.id == votes.c.idea_id)
        .where(votes.c.user_id == user_id)
        .order_by(votes.c.idea_id)
    )
    return [_plain(row, "idea_id", "title", "created_at") for row in rows]


async def export_reactions(db: Database, user_id: int) -> list[dict[str, Any]]:
    reactions = []
    for table, key in (
        (idea_reactions, "idea_id"),
        (comment_reactions, "comment_id"),
        (thread_reactions, "thread_id"),
        (reply_reactions, "reply_id"),
    ):
        rows = await db.fetch_all(sa.select(table).where(table.c.user_id == user_id).order_by(table.c[key]))
        reactions += [_plain(row, key, "reaction", "created_at") for row in rows]
    return reactions


async def export_following(db: Database, user_id: int) -> dict[str, Any]:
    followed_ideas = await db.fetch_all(sa.select(idea_follows).where(idea_follows.c.user_id == user_id))
    followed_boards = await db.fetch_all(
        sa.select(boards.c.slug)
        .join(board_follows, board_follows.c.board_id == boards.c.id)
        .where(board_follows.c.user_id == user_id)
    )
    followed_threads = await db.fetch_all(sa.select(thread_follows).where(thread_follows.c.user_id == user_id))
    return {
        "ideas": [_plain(row, "idea_id", "following") for row in followed_ideas],
        "boards": [row["slug"] for row in followed_boards],
        "threads": [_plain(row, "thread_id", "following") for row in followed_threads],
    }


SECTIONS = {
    "ideas": section(export_ideas, ideas.c.author_id),
    "comments": section(export_comments, comments.c.author_id),
    "threads": section(export_threads, threads.c.author_id),
    "replies": section(export_replies, thread_replies.c.author_id),
    "votes": section(export_votes, votes.c.user_id),
    "reactions": section(
        export_reactions,
        idea_reactions.c.user_id,
        comment_reactions.c.user_id,
        thread_reactions.c.user_id,
        reply_reactions.c.user_id,
    ),
    "following": section(export_following, idea_follows.c.user_id, board_follows.c.user_id, thread_follows.c.user_id),
}

LEFT_OUT = {
    "comments.edited_by_id": "a moderator's edits of other members' comments: the comments are their authors'",
    "idea_events.actor_id": "idea timelines (status changes, merges, edits) kept on each idea's public page",
}
