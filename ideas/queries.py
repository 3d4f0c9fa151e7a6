"""Reads and writes of ideas, votes and comments: the only place their SQL lives."""

import json
from dataclasses import dataclass
from html import escape
from typing import Any

import sqlalchemy as sa

from contributors.tables import commit_ideas, extension_ideas
from ideas import following, ranking, search, tagging, webhook_events
from ideas.tables import (
    NO_VOTES_SCORE,
    boards,
    comments,
    idea_events,
    idea_follows,
    idea_reactions,
    ideas,
    votes,
)
from portal.accounts.tables import users
from portal.db import Database, utcnow
from portal.errors import Conflict, NotFound
from portal.mentions import mentioned_audience, notify_mentioned
from portal.notifications.queries import HIDDEN_CHECKS, About, Audience, notify_once
from portal.people.contribution import record_contribution
from portal.statements import kept, kept_by_shape

PAGE_SIZE = 20

_AUTHOR_COLUMNS = (
    users.c.username.label("author_username"),
    users.c.display_name.label("author_display_name"),
    users.c.role.label("author_role"),
    users.c.is_founder.label("author_is_founder"),
)


class IdeaNotFound(NotFound):
    message = "There is no idea with that number."


class StatusUnchanged(Exception):
    pass


class IdeaMerged(Conflict):
    """The idea was merged into another: what happens next happens there."""

    def __init__(self, into_id: int) -> None:
        super().__init__(into_id, message=f"This idea was merged into idea #{into_id}; continue there.")
        self.into_id = into_id


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_cursor: str | None
    # The open boards (slug, name), when read with the page (list_ideas(with_boards=True)).
    boards: list[dict[str, str]] | None = None


def with_author(table: sa.Table) -> sa.Select:
    return sa.select(table, *_AUTHOR_COLUMNS).select_from(table.outerjoin(users, users.c.id == table.c.author_id))


def _with_board(query: sa.Select) -> sa.Select:
    return query.add_columns(
        boards.c.slug.label("board_slug"), boards.c.name.label("board_name"), boards.c.vote_budget
    ).join(boards, boards.c.id == ideas.c.board_id)


# What a row of an idea list shows (ideas/rows.py) and what the lists order by; no bodies.
_SUMMARY_COLUMNS = (
    ideas.c.id,
    ideas.c.title,
    ideas.c.status,
    ideas.c.vote_count,
    ideas.c.comment_count,
    ideas.c.trending_score,
    ideas.c.created_at,
    ideas.c.updated_at,
    ideas.c.hidden_at,
    ideas.c.hidden_reason,
)


def _summaries(dialect_name: str, viewer: bool) -> sa.Select:
    """What a list shows of each idea, with its tags and, for a member (bindparam viewer_id),
    whether they voted for it: one statement for the whole page."""
    query = sa.select(*_SUMMARY_COLUMNS, *_AUTHOR_COLUMNS, tagging.tags_column(dialect_name))
    if viewer:
        query = query.add_columns(_voted_by_viewer())
    return query.select_from(ideas.outerjoin(users, users.c.id == ideas.c.author_id))


@kept_by_shape
def _open_boards() -> sa.Select:
    return (
        sa.select(boards.c.slug, boards.c.name)
        .where(boards.c.is_archived == sa.false())
        .order_by(boards.c.is_archived, boards.c.position, boards.c.id)
    )


def _open_boards_column(dialect_name: str) -> sa.Label:
    """The open boards as JSON text, [[slug, name], ...] in the maintainers' order: computed once
    per statement and repeated on every row, so a page of ideas and the boards are one round trip."""
    ordered = _open_boards().subquery()
    if dialect_name == "postgresql":
        aggregate = sa.func.json_agg(sa.func.json_build_array(ordered.c.slug, ordered.c.name))
    else:
        aggregate = sa.func.json_group_array(sa.func.json_array(ordered.c.slug, ordered.c.name))
    return sa.select(aggregate).select_from(ordered).scalar_subquery().label("open_boards")


def _voted_by_viewer() -> sa.Label:
    """Whether member `viewer_id` voted for the row's idea: a look-up by the vote's key.

    Not EXISTS, which PostgreSQL may answer by hashing all the member's votes (a cost that grows
    with how much they voted), nor a join, which changes the order SQLite joins a board's list in.
    """
    return (
        sa.select(sa.true())
        .where(votes.c.idea_id == ideas.c.id, votes.c.user_id == sa.bindparam("viewer_id"))
        .scalar_subquery()
        .label("voted")
    )


@kept_by_shape
def _page_statement(
    dialect_name: str,
    sort_name: str,
    summary: bool,
    with_boards: bool,
    viewer: bool,
    after: bool,
    board: bool,
    status: bool,
    author: bool,
    tag: bool,
) -> sa.Select:
    """The statement for one shape of list, built once; its bindparam()s take the values."""
    sort = ranking.SORTS[sort_name]
    query = _summaries(dialect_name, viewer) if summary else with_author(ideas)
    if with_boards:
        query = query.add_columns(_open_boards_column(dialect_name))
    query = _with_board(query).order_by(*sort.order_by()).limit(PAGE_SIZE + 1)
    if after:
        query = query.where(sort.after())
    if board:
        query = query.where(ideas.c.board_id == sa.bindparam("board_id"))
    if status:
        query = query.where(ideas.c.status == sa.bindparam("status"))
    if author:
        query = query.where(ideas.c.author_id == sa.bindparam("author_id"))
    if tag:
        query = query.where(tagging.tagged(sa.bindparam("tag_id")))
    return query


def _page(
    dialect_name: str,
    sort: ranking.Sort,
    summary: bool,
    with_boards: bool = False,
    viewer_id: int | None = None,
    after: tuple | None = None,
    board_id: int | None = None,
    status: str | None = None,
    author_id: int | None = None,
    tag_id: int | None = None,
) -> tuple[sa.Select, dict[str, Any]]:
    filters = {"board_id": board_id, "status": status, "author_id": author_id, "tag_id": tag_id}
    values = {name: value for name, value in filters.items() if value is not None}
    if after is not None:
        values.update(sort.after_values(after))
    if viewer_id is not None:
        values["viewer_id"] = viewer_id
    shape = (viewer_id is not None, after is not None, *(value is not None for value in filters.values()))
    return _page_statement(dialect_name, sort.name, summary, with_boards, *shape), values


def ideas_query(*, dialect_name: str, sort: ranking.Sort, summary: bool = False, **filters: Any) -> sa.Select:
    """The statement behind one page of ideas (one row more, to know whether another page follows)."""
    statement, values = _page(dialect_name, sort, summary, **filters)
    return statement.params(values)


async def list_ideas(
    db: Database, *, sort: ranking.Sort, summary: bool = False, with_boards: bool = False, **filters: Any
) -> Page:
    """One page of ideas in `sort` order, ties broken by newest; keyset, never OFFSET.

    `summary`: only what a list shows (ideas/rows.py), with each idea's tags and, given
    `viewer_id`, whether that member voted for it; not the descriptions. `with_boards`: the open
    boards too, in the same statement (Page.boards), or a statement of their own for an empty page.
    """
    rows = await db.fetch_all(*_page(db.dialect_name, sort, summary, with_boards, **filters))
    open_boards = None
    if with_boards:
        if rows:
            pairs = json.loads(rows[0]["open_boards"] or "[]")
        else:
            pairs = [(row["slug"], row["name"]) for row in await db.fetch_all(_open_boards(), {})]
        open_boards = [{"slug": slug, "name": name} for slug, name in pairs]
    if len(rows) <= PAGE_SIZE:
        return Page(rows, None, open_boards)
    return Page(rows[:PAGE_SIZE], sort.cursor_of(rows[PAGE_SIZE - 1]), open_boards)


async def ideas_by_ids(
    db: Database, idea_ids: list[int], *, summary: bool = False, viewer_id: int | None = None
) -> list[Any]:
    """The ideas with these ids, in the order given (for ranked search results).

    `summary` and `viewer_id`: as for list_ideas().
    """
    if not idea_ids:
        return []
    values = {"idea_ids": idea_ids} if viewer_id is None else {"idea_ids": idea_ids, "viewer_id": viewer_id}
    rows = await db.fetch_all(_by_ids(db.dialect_name, summary, viewer_id is not None), values)
    by_id = {row["id"]: row for row in rows}
    return [by_id[idea_id] for idea_id in idea_ids if idea_id in by_id]


@kept
def _idea(idea_id: int) -> sa.Select:
    return _with_board(with_author(ideas)).where(ideas.c.id == idea_id)


@kept_by_shape
def _by_ids(dialect_name: str, summary: bool, viewer: bool) -> sa.Select:
    query = _summaries(dialect_name, viewer) if summary else with_author(ideas)
    return _with_board(query).where(ideas.c.id.in_(sa.bindparam("idea_ids", expanding=True)))


@kept_by_shape
def idea_statement(dialect_name: str, viewer: bool) -> sa.Select:
    """The idea with its board, author and tags and, for a member (viewer_id), their vote, their
    reactions and whether they follow it: what its page needs of it, in one statement. Whether it
    has a history, linked commits and extensions too, so that the page asks for those only then."""
    query = _with_board(with_author(ideas))
    # The reaction counts as their JSON text, parsed only when the page renders the idea anew (ideas/rows.py).
    query = query.with_only_columns(
        *(
            sa.type_coerce(column, sa.Text).label("reaction_counts") if column is ideas.c.reaction_counts else column
            for column in query.selected_columns
        )
    ).add_columns(
        tagging.tags_column(dialect_name),
        sa.exists().where(idea_events.c.idea_id == ideas.c.id).label("has_events"),
        sa.exists().where(commit_ideas.c.idea_id == ideas.c.id).label("has_commits"),
        sa.exists().where(extension_ideas.c.idea_id == ideas.c.id).label("has_extensions"),
    )
    if viewer:
        viewer_id = sa.bindparam("viewer_id")
        query = query.add_columns(
            _voted_by_viewer(),
            sa.select(idea_follows.c.following)
            .where(idea_follows.c.idea_id == ideas.c.id, idea_follows.c.user_id == viewer_id)
            .scalar_subquery()
            .label("following"),
            sa.type_coerce(
                sa.select(tagging.json_list(dialect_name, idea_reactions.c.reaction))
                .where(idea_reactions.c.idea_id == ideas.c.id, idea_reactions.c.user_id == viewer_id)
                .scalar_subquery(),
                sa.JSON,
            ).label("my_reactions"),
        )
    return query.where(ideas.c.id == sa.bindparam("idea_id"))


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
        idea_id = await db.fetch_val(
            ideas.insert()
            .values(
                board_id=board_id,
                author_id=author_id,
                title=title,
                body=body,
                body_html=body_html,
                created_at=now,
                updated_at=now,
            )
            .returning(ideas.c.id)
        )
        await db.execute(boards.update().where(boards.c.id == board_id).values(idea_count=boards.c.idea_count + 1))
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
                    subject=f"mentioned you in the idea “{title}”",
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


async def _tell_mentioned(db: Database, idea_id: int, mentioned: list[int], actor_id: int, title: str) -> None:
    await notify_mentioned(
        db,
        kind="idea",
        target_id=idea_id,
        user_ids=list(mentioned),
        actor_id=actor_id,
        subject=f"mentioned you in the idea “{title}”",
        path=f"/ideas/{idea_id}",
        about=About("idea", idea_id),
    )


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
        sa.select(idea_events, *_AUTHOR_COLUMNS, related.c.title.label("related_title"))
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
        await _tell_mentioned(db, idea_id, mentioned, editor_id, title)
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


async def _idea_hidden(db: Database, idea_id: int) -> bool:
    return bool(await db.fetch_val(sa.select(ideas.c.hidden_at.is_not(None)).where(ideas.c.id == idea_id)))


HIDDEN_CHECKS["idea"] = _idea_hidden
