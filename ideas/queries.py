"""Writes of ideas (creating, statuses, merges, edits) and votes; reading them: ideas/idea_lists.py."""

from html import escape
from typing import Any

import sqlalchemy as sa

from ideas import following, posts, ranking, search, webhook_events

# Reading ideas lives in ideas/idea_lists.py; these names stay importable from here, where callers look for them.
from ideas.idea_lists import PAGE_SIZE as PAGE_SIZE
from ideas.idea_lists import Page as Page
from ideas.idea_lists import idea_statement as idea_statement
from ideas.idea_lists import ideas_by_ids as ideas_by_ids
from ideas.idea_lists import ideas_query as ideas_query
from ideas.idea_lists import list_ideas as list_ideas
from ideas.idea_lists import with_board
from ideas.posts import AUTHOR_COLUMNS, with_author
from ideas.tables import (
    NO_VOTES_SCORE,
    boards,
    comments,
    idea_events,
    ideas,
    votes,
)
from portal.accounts.tables import users
from portal.db import Database, utcnow
from portal.errors import Conflict, NotFound
from portal.mentions import mentioned_audience
from portal.notifications.queries import About, Audience, notify_once
from portal.people.contribution import record_contribution
from portal.statements import kept


class IdeaNotFound(NotFound):
    message = "There is no idea with that number."


class StatusUnchanged(Exception):
    pass


class IdeaMerged(Conflict):
    """The idea was merged into another: what happens next happens there."""

    def __init__(self, into_id: int) -> None:
        super().__init__(into_id, message=f"This idea was merged into idea #{into_id}; continue there.")
        self.into_id = into_id


@kept
def _idea(idea_id: int) -> sa.Select:
    return with_board(with_author(ideas)).where(ideas.c.id == idea_id)


async def get_idea(db: Database, idea_id: int) -> Any:
    row = await db.fetch_one(*_idea(idea_id))
    if row is None:
        raise IdeaNotFound(idea_id)
    return row


@kept
def _voted(user_id: int, idea_ids: list[int]) -> sa.Select:
    return sa.select(votes.c.idea_id).where(votes.c.user_id == user_id, votes.c.idea_id.in_(idea_ids))


async def voted_idea_ids(db: Database, user_id: int, idea_ids: list[int]) -> set[int]:
    """Which of `idea_ids` the member voted for, in one query."""
    if not idea_ids:
        return set()
    rows = await db.fetch_all(*_voted(user_id, idea_ids))
    return {row["idea_id"] for row in rows}


async def create_idea(
    db: Database, *, board_id: int, author_id: int, title: str, body: str, body_html: str, mentioned: list[int] = ()
) -> int:
    now = utcnow()
    async with db.transaction():
        idea_id = await posts.create(
            db,
            posts.IDEA,
            board_id=board_id,
            author_id=author_id,
            title=title,
            body=body,
            body_html=body_html,
            created_at=now,
            updated_at=now,
        )
        await search.index_idea(db, idea_id=idea_id, title=title, body=body)
        await following.follow_automatically(db, author_id, idea_id)
        board_name = await db.fetch_val(sa.select(boards.c.name).where(boards.c.id == board_id))
        # One notification each: whoever the idea mentions hears of the mention, not also as a follower.
        await notify_once(
            db,
            [
                await mentioned_audience(
                    db,
                    kind="idea",
                    target_id=idea_id,
                    user_ids=list(mentioned),
                    actor_id=author_id,
                    subject=posts.IDEA.mention_subject(title),
                ),
                Audience(
                    following.board_followers_of(board_id, except_user_id=author_id),
                    "idea",
                    f"shared a new idea on {board_name}: “{title}”",
                ),
            ],
            actor_id=author_id,
            path=f"/ideas/{idea_id}",
            about=About("idea", idea_id),
        )
        await webhook_events.idea_event(db, "idea.created", idea_id)
        return idea_id


async def mark_responded(db: Database, idea_id: int, moment: Any) -> None:
    """Record the first maintainer response (an official comment, a status change or a merge)."""
    await db.execute(
        ideas.update()
        .where(ideas.c.id == idea_id, ideas.c.first_response_at.is_(None))
        .values(first_response_at=moment)
    )


async def lock_idea(db: Database, idea_id: int) -> Any:
    """The idea's row, locked until the transaction ends; refuses a merged duplicate.

    Every lock on ideas here is FOR NO KEY UPDATE: it orders writers to the row but lets other
    transactions insert rows that reference it (votes, comments, search documents).
    """
    idea = await db.fetch_one(
        sa.select(
            ideas.c.status,
            ideas.c.title,
            ideas.c.merged_into_id,
            ideas.c.author_id,
            ideas.c.hidden_at,
            ideas.c.locked_at,
        )
        .where(ideas.c.id == idea_id)
        .with_for_update(key_share=True)
    )
    if idea is None:
        raise IdeaNotFound(idea_id)
    if idea["merged_into_id"] is not None:
        raise IdeaMerged(idea["merged_into_id"])
    return idea


async def title_of(db: Database, idea_id: int) -> str:
    title = await db.fetch_val(sa.select(ideas.c.title).where(ideas.c.id == idea_id))
    if title is None:
        raise IdeaNotFound(idea_id)
    return title


async def recount_trending_score(db: Database, idea_id: int) -> float:
    rows = await db.fetch_all(sa.select(votes.c.created_at).where(votes.c.idea_id == idea_id))
    return ranking.score_of([ranking.vote_weight_exponent(row["created_at"]) for row in rows])


async def change_status(
    db: Database, *, idea_id: int, actor_id: int, status: str, note: str, note_html: str, announce: bool = True
) -> None:
    """Move an idea to `status` and add the public note to its timeline, in one transaction.

    Followers hear of it unless `announce` is off (a release announces its ideas itself).
    """
    async with db.transaction():
        idea = await lock_idea(db, idea_id)
        current = idea["status"]
        if current == status:
            raise StatusUnchanged(status)
        now = utcnow()
        await db.execute(
            idea_events.insert().values(
                idea_id=idea_id,
                actor_id=actor_id,
                kind="status",
                from_status=current,
                to_status=status,
                note=note,
                note_html=note_html,
                created_at=now,
            )
        )
        await db.execute(ideas.update().where(ideas.c.id == idea_id).values(status=status, updated_at=now))
        await mark_responded(db, idea_id, now)
        if "shipped" in (current, status):
            # The author's profile counts the ideas they helped ship (and un-ship).
            await record_contribution(db, idea["author_id"], ideas_shipped=1 if status == "shipped" else -1)
        await webhook_events.idea_event(db, "idea.status_changed", idea_id, previous_status=current)
        if status == "shipped":
            await webhook_events.idea_event(db, "idea.shipped", idea_id)
        if announce:
            label = status.replace("_", " ")
            await following.tell_followers(
                db, idea_id, kind="status", actor_id=actor_id, subject=f"moved “{idea['title']}” to {label}"
            )


@kept
def _events(idea_id: int) -> sa.Select:
    related = ideas.alias("related")
    return (
        sa.select(idea_events, *AUTHOR_COLUMNS, related.c.title.label("related_title"))
        .select_from(
            idea_events.outerjoin(users, users.c.id == idea_events.c.actor_id).outerjoin(
                related, related.c.id == idea_events.c.related_idea_id
            )
        )
        .where(idea_events.c.idea_id == idea_id)
        .order_by(idea_events.c.id)
    )


async def list_events(db: Database, idea_id: int) -> list[Any]:
    """The idea's timeline, oldest first, with the other idea of a merge."""
    return await db.fetch_all(*_events(idea_id))


class MergeRefused(Exception):
    """A merge the rules do not allow; the message says why."""


async def merge_ideas(
    db: Database, *, duplicate_id: int, into_id: int, actor_id: int, note: str, note_html: str
) -> None:
    """Merge idea `duplicate_id` into `into_id`: votes (each member once), comments and followers move,
    the duplicate points to the other idea, and both timelines say so."""
    if duplicate_id == into_id:
        raise MergeRefused("An idea cannot be merged into itself.")
    async with db.transaction():
        locked = await db.fetch_all(
            sa.select(
                ideas.c.id, ideas.c.title, ideas.c.status, ideas.c.comment_count, ideas.c.author_id, ideas.c.hidden_at
            )
            .where(ideas.c.id.in_([duplicate_id, into_id]))
            .order_by(ideas.c.id)
            .with_for_update(key_share=True)
        )
        found = {row["id"]: row for row in locked}
        if into_id not in found:
            raise MergeRefused(f"There is no idea #{into_id} to merge into.")
        if duplicate_id not in found:
            raise IdeaNotFound(duplicate_id)
        duplicate, target = found[duplicate_id], found[into_id]
        if duplicate["status"] == "duplicate":
            raise MergeRefused("This idea has been merged already.")
        if target["status"] == "duplicate":
            raise MergeRefused(f"Idea #{into_id} is itself a duplicate: merge into the idea it points to.")

        now = utcnow()
        moved_votes = sa.select(sa.literal(into_id, ideas.c.id.type), votes.c.user_id, votes.c.created_at).where(
            votes.c.idea_id == duplicate_id
        )
        await db.execute(
            db.insert(votes).from_select(["idea_id", "user_id", "created_at"], moved_votes).on_conflict_do_nothing()
        )
        await db.execute(votes.delete().where(votes.c.idea_id == duplicate_id))
        await db.execute(comments.update().where(comments.c.idea_id == duplicate_id).values(idea_id=into_id))
        await search.move_documents(db, from_idea_id=duplicate_id, to_idea_id=into_id)
        vote_count = await db.fetch_val(sa.select(sa.func.count()).select_from(votes).where(votes.c.idea_id == into_id))
        await db.execute(
            ideas.update()
            .where(ideas.c.id == into_id)
            .values(
                vote_count=vote_count,
                trending_score=await recount_trending_score(db, into_id),
                comment_count=ideas.c.comment_count + duplicate["comment_count"],
                updated_at=now,
            )
        )
        await db.execute(
            ideas.update()
            .where(ideas.c.id == duplicate_id)
            .values(
                status="duplicate",
                merged_into_id=into_id,
                vote_count=0,
                trending_score=NO_VOTES_SCORE,
                comment_count=0,
                updated_at=now,
            )
        )
        event = {"actor_id": actor_id, "note": note, "note_html": note_html, "created_at": now}
        await db.execute(
            idea_events.insert().values(
                idea_id=duplicate_id,
                kind="merge",
                from_status=duplicate["status"],
                to_status="duplicate",
                related_idea_id=into_id,
                **event,
            )
        )
        await db.execute(
            idea_events.insert().values(idea_id=into_id, kind="merged_in", related_idea_id=duplicate_id, **event)
        )
        await mark_responded(db, duplicate_id, now)
        if duplicate["status"] == "shipped":
            await record_contribution(db, duplicate["author_id"], ideas_shipped=-1)
        await webhook_events.idea_event(db, "idea.status_changed", duplicate_id, previous_status=duplicate["status"])
        await following.move_followers(db, from_idea_id=duplicate_id, to_idea_id=into_id)
        await following.tell_followers(
            db,
            into_id,
            kind="merge",
            actor_id=actor_id,
            # A hidden idea's title stays out of the notification (the target's is marked when hidden).
            subject=f"merged {_quoted_unless_hidden(duplicate)} into {_quoted_unless_hidden(target)}",
        )


def _quoted_unless_hidden(idea: Any) -> str:
    return "a hidden idea" if idea["hidden_at"] is not None else f"“{idea['title']}”"


async def edit_idea(
    db: Database,
    *,
    idea_id: int,
    editor_id: int,
    by_author: bool,
    title: str,
    body: str,
    body_html: str,
    note: str = "",
    mentioned: list[int] = (),
) -> None:
    """Change an idea's text. A maintainer's edit of someone else's idea goes into its public history."""
    async with db.transaction():
        await title_of(db, idea_id)
        now = utcnow()
        await db.execute(
            ideas.update()
            .where(ideas.c.id == idea_id)
            .values(title=title, body=body, body_html=body_html, edited_at=now, updated_at=now)
        )
        await search.index_idea(db, idea_id=idea_id, title=title, body=body)
        await posts.tell_mentioned(db, posts.IDEA, idea_id, title=title, user_ids=mentioned, actor_id=editor_id)
        if not by_author:
            await db.execute(
                idea_events.insert().values(
                    idea_id=idea_id,
                    actor_id=editor_id,
                    kind="edit",
                    note=note,
                    note_html=render_plain(note),
                    created_at=now,
                )
            )


def render_plain(text: str) -> str:
    return f"<p>{escape(text)}</p>" if text else ""


async def idea_hidden(db: Database, idea_id: int) -> bool:
    return await posts.is_hidden(db, posts.IDEA, idea_id)
