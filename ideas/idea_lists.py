"""Reading ideas: one page of a list in any order and with any filters (keyset, never OFFSET),
ideas by id in a given order, and one idea with what its page needs, each in one statement."""

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ideas import ranking, tagging
from ideas.posts import AUTHOR_COLUMNS, with_author
from ideas.tables import boards, idea_events, idea_follows, idea_reactions, ideas, votes
from portal import paging
from portal.accounts.tables import users
from portal.db import Database
from portal.statements import kept_by_shape

PAGE_SIZE = 20


@dataclass(frozen=True)
class Page(paging.Page):
    # The open boards (slug, name), when read with the page (list_ideas(with_boards=True)).
    boards: list[dict[str, str]] | None = None


def with_board(query: sa.Select) -> sa.Select:
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
    query = sa.select(*_SUMMARY_COLUMNS, *AUTHOR_COLUMNS, tagging.tags_column(dialect_name))
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
    query = with_board(query).order_by(*sort.order_by()).limit(PAGE_SIZE + 1)
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
    return paging.page_of(rows, PAGE_SIZE, sort.cursor_of, page=Page, boards=open_boards)


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


@kept_by_shape
def _by_ids(dialect_name: str, summary: bool, viewer: bool) -> sa.Select:
    query = _summaries(dialect_name, viewer) if summary else with_author(ideas)
    return with_board(query).where(ideas.c.id.in_(sa.bindparam("idea_ids", expanding=True)))


@kept_by_shape
def idea_statement(dialect_name: str, viewer: bool) -> sa.Select:
    """The idea with its board, author and tags and, for a member (viewer_id), their vote, their
    reactions and whether they follow it: what its page needs of it, in one statement. Whether it
    has a history too, so that the page asks for it only then."""
    query = with_board(with_author(ideas))
    # The reaction counts as their JSON text, parsed only when the page renders the idea anew (ideas/rows.py).
    query = query.with_only_columns(
        *(
            sa.type_coerce(column, sa.Text).label("reaction_counts") if column is ideas.c.reaction_counts else column
            for column in query.selected_columns
        )
    ).add_columns(
        tagging.tags_column(dialect_name),
        sa.exists().where(idea_events.c.idea_id == ideas.c.id).label("has_events"),
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
