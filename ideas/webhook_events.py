"""What webhooks receive about ideas and comments, built only when a webhook wants the event."""

from typing import Any

import sqlalchemy as sa

from ideas.tables import boards, comments, ideas
from portal.accounts.tables import users
from portal.db import Database
from portal.webhooks import queries as webhook_queries


async def idea_object(db: Database, idea_id: int) -> dict[str, Any]:
    row = await db.fetch_one(
        sa.select(
            ideas.c.id,
            ideas.c.title,
            ideas.c.status,
            ideas.c.vote_count,
            ideas.c.comment_count,
            ideas.c.created_at,
            boards.c.slug.label("board"),
            users.c.username.label("author"),
        )
        .join(boards, boards.c.id == ideas.c.board_id)
        .outerjoin(users, users.c.id == ideas.c.author_id)
        .where(ideas.c.id == idea_id)
    )
    return {
        "type": "idea",
        "id": row["id"],
        "title": row["title"],
        "status": row["status"],
        "board": row["board"],
        "author": row["author"],
        "vote_count": row["vote_count"],
        "comment_count": row["comment_count"],
        "created_at": row["created_at"].isoformat(timespec="seconds"),
        "path": f"/ideas/{row['id']}",
    }


async def idea_event(db: Database, event: str, idea_id: int, **extra: Any) -> None:
    async def build() -> dict[str, Any]:
        return {**await idea_object(db, idea_id), **extra}

    await webhook_queries.emit(db, event, build)


async def comment_created(db: Database, comment_id: int) -> None:
    async def build() -> dict[str, Any]:
        row = await db.fetch_one(
            sa.select(comments.c.id, comments.c.idea_id, comments.c.body, comments.c.created_at, users.c.username)
            .outerjoin(users, users.c.id == comments.c.author_id)
            .where(comments.c.id == comment_id)
        )
        return {
            "type": "comment",
            "id": row["id"],
            "idea": await idea_object(db, row["idea_id"]),
            "author": row["username"],
            "body": row["body"],
            "created_at": row["created_at"].isoformat(timespec="seconds"),
            "path": f"/ideas/{row['idea_id']}#comment-{row['id']}",
        }

    await webhook_queries.emit(db, "comment.created", build)
