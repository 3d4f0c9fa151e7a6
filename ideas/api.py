"""The JSON API of ideas, votes, comments, boards and statuses: thin endpoints over ideas/queries.py
and the same forms the pages use."""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ideas import board_queries, comment_queries, posts, queries, ranking, tagging, votes
from ideas.forms import (
    SLUG,
    STATUS_LABELS,
    BadListQuery,
    parse_comment,
    parse_edit_note,
    parse_idea,
    parse_list_query,
    parse_status_change,
    posted_text,
)
from ideas.routes_common import (
    SEARCH_PAGES,
    BadSearch,
    board_for_new_idea,
    find,
    list_filters,
    may_edit,
    parse_search_page,
)
from ideas.tables import CLOSED_STATUSES, STATUSES
from portal.access import role
from portal.api import (
    ApiError,
    Field,
    first_error,
    iso,
    json_of,
    path_id,
)
from portal.db import Database
from portal.forms import clean_value
from portal.mentions import check_mentions

NO_SUCH_IDEA = queries.IdeaNotFound.message
IDEA_ID = path_id("idea_id", "The idea's number.")
BOARD_SLUG = Field(
    "slug", "string", "The board's address.", required=True, pattern="^[a-z0-9][a-z0-9-]{0,63}$", example="general"
)
CURSOR = Field("after", "string", "The `next_cursor` of the previous page.", max_length=200)


def _author(row: Any) -> dict | None:
    if row["author_username"] is None:
        return None
    return {
        "username": row["author_username"],
        "display_name": row["author_display_name"],
        "role": row["author_role"],
        "is_founder": bool(row["author_is_founder"]),
    }


def idea_json(row: Any, tags: list[Any], voted: bool | None) -> dict[str, Any]:
    return {
        "id": row["id"],
        "title": row["title"],
        "body": row["body"],
        "body_html": row["body_html"],
        "status": row["status"],
        "board": {"slug": row["board_slug"], "name": row["board_name"]},
        "author": _author(row),
        "vote_count": row["vote_count"],
        "comment_count": row["comment_count"],
        "tags": [{"slug": tag["slug"], "name": tag["name"]} for tag in tags],
        "merged_into_id": row["merged_into_id"],
        "voted": voted,
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
        "edited_at": iso(row["edited_at"]),
        "url": f"/ideas/{row['id']}",
    }


async def _ideas_json(request: Request, rows: list[Any]) -> list[dict[str, Any]]:
    """Ideas with their tags and, for a signed-in member, whether they voted: two queries for any number."""
    db = request.app.state.db
    ids = [row["id"] for row in rows]
    tags = await tagging.tags_of(db, ids)
    voted = await queries.voted_idea_ids(db, request.user.id, ids) if request.user.is_authenticated else None
    return [idea_json(row, tags.get(row["id"], []), None if voted is None else row["id"] in voted) for row in rows]


async def _idea_or_404(db: Database, idea_id: int, request: Request | None = None) -> Any:
    """The idea; a hidden one exists only for moderators."""
    idea = await queries.get_idea(db, idea_id)
    if idea["hidden_at"] is not None and not (request is not None and _is_moderator(request)):
        raise ApiError(404, NO_SUCH_IDEA)
    return idea


def _is_moderator(request: Request) -> bool:
    return request.user.is_authenticated and request.user.is_maintainer


async def list_ideas(request: Request) -> Response:
    db = request.app.state.db
    params = request.query_params
    board_id = None
    try:
        query = parse_list_query(params)
        filters = await list_filters(db, query)
    except BadListQuery as error:
        raise ApiError(400, str(error)) from None
    if params.get("board"):
        try:
            if not SLUG.match(params["board"]):
                raise board_queries.BoardNotFound(params["board"])
            board_id = (await board_queries.get_board_by_slug(db, params["board"]))["id"]
        except board_queries.BoardNotFound:
            raise ApiError(400, f"There is no board {params['board'][:40]!r}.", "board") from None
    page = await queries.list_ideas(db, board_id=board_id, **filters)
    rows = page.rows if _is_moderator(request) else [row for row in page.rows if row["hidden_at"] is None]
    return json_of({"ideas": await _ideas_json(request, rows), "next_cursor": page.next_cursor})


async def search(request: Request) -> Response:
    """Ideas and discussions matching every word, best first, as the site's search page finds them,
    20 of each a page."""
    raw = request.query_params.get("q", "")
    if len(raw) > 200:
        raise ApiError(400, "q can be at most 200 characters.", "q")
    text = clean_value(raw).strip()
    if not text:
        raise ApiError(400, "Give the words to look for in q.", "q")
    try:
        page = parse_search_page(request.query_params)
    except BadSearch as error:
        raise ApiError(400, str(error), "page") from None
    found = await find(request.app.state.db, text, may_see_hidden=_is_moderator(request), page=page)
    return json_of(
        {
            "ideas": await _ideas_json(request, found.ideas),
            "threads": [_thread_json(row) for row in found.threads],
            "next_page": page + 1 if (found.more_ideas or found.more_threads) and page < SEARCH_PAGES else None,
        }
    )


def _thread_json(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "title": row["title"],
        "category": {"slug": row["category_slug"], "name": row["category_name"]},
        "author": _author(row),
        "reply_count": row["reply_count"],
        "answered": (row["accepted_reply_id"] is not None) if row["category_kind"] == "questions" else None,
        "created_at": iso(row["created_at"]),
        "last_activity_at": iso(row["last_activity_at"]),
        "url": f"/discussions/{row['id']}",
    }


async def get_idea(request: Request) -> Response:
    idea = await _idea_or_404(request.app.state.db, request.path_params["idea_id"], request)
    return json_of((await _ideas_json(request, [idea]))[0])


def _strings(body: dict[str, Any]) -> dict[str, str]:
    return {name: value for name, value in body.items() if isinstance(value, str)}


async def create_idea(request: Request, body: dict[str, Any]) -> Response:
    db = request.app.state.db
    form = parse_idea(_strings(body))
    mentioned = await check_mentions(db, form, "body") if form.is_valid else []
    board = await board_for_new_idea(db, form)
    if not form.is_valid:
        raise first_error(form.errors)
    idea_id = await queries.create_idea(
        db,
        board_id=board["id"],
        author_id=request.user.id,
        title=form.data["title"],
        body=form.data["body"],
        body_html=form.data["body_html"],
        mentioned=mentioned,
    )
    idea = await queries.get_idea(db, idea_id)
    return json_of(idea_json(idea, [], False), 201, {"Location": f"/api/v1/ideas/{idea_id}"})


async def edit_idea(request: Request, body: dict[str, Any]) -> Response:
    db = request.app.state.db
    idea = await _idea_or_404(db, request.path_params["idea_id"], request)
    if not may_edit(request, idea):
        raise ApiError(403, posts.edit_refusal(request.app.state.settings.edit_window_minutes))
    values = {"title": idea["title"], "body": idea["body"], **_strings(body)}
    form = parse_idea(values)
    parse_edit_note(values, form)
    mentioned = await check_mentions(db, form, "body") if form.is_valid else []
    if not form.is_valid:
        raise first_error(form.errors)
    await queries.edit_idea(
        db,
        idea_id=idea["id"],
        editor_id=request.user.id,
        by_author=request.user.id == idea["author_id"],
        title=form.data["title"],
        body=form.data["body"],
        body_html=form.data["body_html"],
        note=form.data.get("edit_note", ""),
        mentioned=mentioned,
    )
    return await get_idea(request)


async def _set_vote(request: Request, on: bool) -> Response:
    """The lean path: the token's query, then one transaction; no other statement."""
    idea_id = request.path_params["idea_id"]
    db = request.app.state.db
    if on:
        vote_count = await votes.add_vote(db, idea_id, request.user.id)
    else:
        vote_count = await votes.remove_vote(db, idea_id, request.user.id)
    return json_of({"idea_id": idea_id, "voted": on, "vote_count": vote_count})


async def vote(request: Request) -> Response:
    return await _set_vote(request, True)


async def unvote(request: Request) -> Response:
    return await _set_vote(request, False)


@role("maintainer")
async def change_status(request: Request, body: dict[str, Any]) -> Response:
    form = parse_status_change(_strings(body))
    if not form.is_valid:
        raise first_error(form.errors)
    try:
        await queries.change_status(
            request.app.state.db,
            idea_id=request.path_params["idea_id"],
            actor_id=request.user.id,
            status=form.data["status"],
            note=form.data["note"],
            note_html=form.data["note_html"],
        )
    except queries.StatusUnchanged:
        raise ApiError(409, "The idea has that status already.", "status") from None
    except queries.IdeaMerged as merged:
        raise ApiError(409, f"{merged} Change the status of that idea instead.", "status") from None
    return await get_idea(request)


def comment_json(row: Any) -> dict[str, Any]:
    deleted = row["deleted_at"] is not None
    hidden = row.get("hidden_at") is not None  # a moderator hid it: its text is not public
    return {
        "id": row["id"],
        "idea_id": row["idea_id"],
        "author": None if deleted else _author(row),
        "body": "" if hidden else row["body"],
        "body_html": "" if hidden else row["body_html"],
        "deleted": deleted,
        "created_at": iso(row["created_at"]),
        "edited_at": iso(row["edited_at"]),
        "url": f"/ideas/{row['idea_id']}#comment-{row['id']}",
    }


async def list_comments(request: Request) -> Response:
    db = request.app.state.db
    idea = await _idea_or_404(db, request.path_params["idea_id"], request)
    after = None
    if request.query_params.get("after"):
        try:
            after = ranking.SORTS["new"].parse_cursor(request.query_params["after"])[0]
        except ValueError:
            raise ApiError(400, "That cursor is not valid; start again from the first page.", "after") from None
    page = await comment_queries.list_comments(db, idea["id"], after=after)
    return json_of({"comments": [comment_json(row) for row in page.rows], "next_cursor": page.next_cursor})


async def add_comment(request: Request, body: dict[str, Any]) -> Response:
    db = request.app.state.db
    idea_id = request.path_params["idea_id"]
    form = parse_comment(_strings(body))
    mentioned = await check_mentions(db, form, "body") if form.is_valid else []
    if not form.is_valid:
        raise first_error(form.errors)
    comment_id = await comment_queries.add_comment(
        db,
        idea_id=idea_id,
        author_id=request.user.id,
        **posted_text(form),
        official=request.user.is_maintainer,
        mentioned=mentioned,
    )
    return json_of(comment_json(await comment_queries.get_comment_with_author(db, comment_id)), 201)


def board_json(row: Any) -> dict[str, Any]:
    return {
        "slug": row["slug"],
        "name": row["name"],
        "description": row["description"],
        "is_archived": bool(row["is_archived"]),
        "vote_budget": row["vote_budget"],
        "campaign_question": row["campaign_question"],
        "opens_at": iso(row["opens_at"]),
        "closes_at": iso(row["closes_at"]),
        "idea_count": row["idea_count"],
        "closed_reason": votes.board_closed_reason(row),
        "url": f"/boards/{row['slug']}",
    }


async def list_boards(request: Request) -> Response:
    include_archived = request.query_params.get("archived") == "true"
    rows = await board_queries.list_boards(request.app.state.db, include_archived=include_archived)
    return json_of({"boards": [board_json(row) for row in rows]})


async def get_board(request: Request) -> Response:
    board = await board_queries.get_board_by_slug(request.app.state.db, request.path_params["slug"])
    return json_of(board_json(board))


async def list_statuses(request: Request) -> Response:
    return json_of(
        {
            "statuses": [
                {"name": name, "label": STATUS_LABELS[name], "takes_votes": name not in CLOSED_STATUSES}
                for name in STATUSES
            ]
        }
    )
