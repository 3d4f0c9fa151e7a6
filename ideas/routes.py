"""The idea pages: ranked lists, boards, submitting, one idea with its timeline and comments,
voting, commenting and status changes."""

from dataclasses import replace
from datetime import timedelta
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ideas import (
    board_queries,
    board_routes,
    comment_queries,
    content_routes,
    feeds,
    following,
    queries,
    ranking,
    search,
    votes,
)
from ideas.forms import (
    STATUS_LABELS,
    TITLE_MAX,
    BadListQuery,
    parse_comment,
    parse_idea,
    parse_list_query,
    parse_merge,
    parse_status_change,
    posted_text,
)
from ideas.routes_common import (
    SEARCH_PAGE_SIZE,
    SEARCH_PAGES,
    SEARCH_SCOPES,
    BadSearch,
    board_for_new_idea,
    find,
    follow_choice,
    idea_page,
    list_filters,
    parse_search_page,
)
from portal.access import role, safe_next, signed_in
from portal.db import utcnow
from portal.forms import clean_value, posted_fields
from portal.mentions import check_mentions
from portal.routing import path_for
from portal.templating import render

SIMILAR_LIMIT = 5
SEARCH_MAX = 200


async def _render_list(request: Request, template: str, board: Any | None = None) -> Response:
    db = request.app.state.db
    try:
        query = parse_list_query(request.query_params)
        filters = await list_filters(db, query)
        if board is not None:
            query = replace(query, board=board["slug"])
    except BadListQuery as error:
        raise HTTPException(400, str(error)) from None
    viewer_id = request.user.id if request.user.is_authenticated else None
    page = await queries.list_ideas(
        db,
        board_id=board["id"] if board else None,
        summary=True,
        with_boards=board is None,
        viewer_id=viewer_id,
        **filters,
    )
    votes_left = None
    if request.user.is_authenticated:
        if board is not None and board["vote_budget"] is not None:
            used = await votes.count_budget_votes(db, board_id=board["id"], user_id=request.user.id)
            votes_left = max(board["vote_budget"] - used, 0)
    context = {
        "page": page,
        "query": query,
        "board": board,
        # The home page's board links come with its ideas.
        "boards": page.boards if board is None else [],
        "sorts": ranking.SORTS,
        "statuses": STATUS_LABELS,
        "votes_left": votes_left,
        "closed_reason": votes.board_closed_reason(board) if board else None,
        "summary": await board_queries.board_summary(db, board["id"]) if board and _campaign_over(board) else None,
        "following": bool(
            board and request.user.is_authenticated and await following.follows_board(db, request.user.id, board["id"])
        ),
    }
    return render(request, template, context)


def _campaign_over(board: Any) -> bool:
    return board["closes_at"] is not None and utcnow() >= board["closes_at"]


async def home(request: Request) -> Response:
    return await _render_list(request, "ideas/home.html")


async def show_board(request: Request) -> Response:
    board = await board_queries.get_board_by_slug(request.app.state.db, request.path_params["slug"])
    return await _render_list(request, "ideas/show_board.html", board)


@signed_in
async def new_idea(request: Request) -> Response:
    db = request.app.state.db
    board_options = [(board["slug"], board["name"]) for board in await board_queries.list_boards(db)]
    if request.method == "GET":
        values = {"board": request.query_params.get("board", "general")}
        context = {"values": values, "errors": {}, "board_options": board_options}
        return render(request, "ideas/new_idea.html", context)
    form = parse_idea(await request.form())
    mentioned = await check_mentions(db, form, "body") if form.is_valid else []
    board = await board_for_new_idea(db, form)
    if not form.is_valid:
        context = {"values": form.raw, "errors": form.errors, "board_options": board_options}
        return render(request, "ideas/new_idea.html", context, 400)
    if form.raw.get("confirmed") != "1":
        similar = await _similar_ideas(db, form.data["title"])
        if similar:
            # Without JavaScript, this step is where the author meets existing ideas like theirs.
            context = {"values": form.raw, "errors": {}, "board_options": board_options, "similar": similar}
            return render(request, "ideas/new_idea.html", context)
    idea_id = await queries.create_idea(
        db,
        board_id=board["id"],
        author_id=request.user.id,
        title=form.data["title"],
        body=form.data["body"],
        body_html=form.data["body_html"],
        mentioned=mentioned,
    )
    return RedirectResponse(path_for(request, "show_idea", idea_id=idea_id), status_code=303)


async def _similar_ideas(db: Any, title: str) -> list[Any]:
    ranked = await search.rank_ideas(db, title, limit=SIMILAR_LIMIT, any_word=True, titles_only=True)
    return [row for row in await queries.ideas_by_ids(db, ranked) if row["hidden_at"] is None]


async def similar_ideas(request: Request) -> Response:
    """Existing ideas like the title being typed, for the new idea form's script."""
    title = clean_value(request.query_params.get("title", ""))[:TITLE_MAX]
    rows = await _similar_ideas(request.app.state.db, title)
    return JSONResponse(
        {
            "ideas": [
                {
                    "id": row["id"],
                    "title": row["title"],
                    "url": path_for(request, "show_idea", idea_id=row["id"]),
                    "status": STATUS_LABELS[row["status"]],
                    "vote_count": row["vote_count"],
                }
                for row in rows
                if row["hidden_at"] is None
            ]
        }
    )


# A search's first page shows the best few discussions beside the ideas, and links to the rest.
THREAD_PREVIEW = 5


async def search_ideas(request: Request) -> Response:
    """Ideas (with the best few discussions on the first page) or, with in=discussions, discussion
    threads matching every word, a page at a time."""
    params = request.query_params
    text = clean_value(params.get("q", "")).strip()[:SEARCH_MAX]
    scope = params.get("in") or "ideas"
    try:
        if scope not in SEARCH_SCOPES:
            raise BadSearch(f"Search in {' or '.join(SEARCH_SCOPES)}.")
        page = parse_search_page(params)
    except BadSearch as error:
        raise HTTPException(400, str(error)) from None
    may_see_hidden = request.user.is_authenticated and request.user.is_maintainer
    found = None
    if text:
        in_ideas = scope == "ideas"
        found = await find(
            request.app.state.db,
            text,
            may_see_hidden=may_see_hidden,
            page=page,
            idea_count=SEARCH_PAGE_SIZE if in_ideas else 0,
            thread_count=(THREAD_PREVIEW if page == 1 else 0) if in_ideas else SEARCH_PAGE_SIZE,
            summary=True,
            viewer_id=request.user.id if request.user.is_authenticated else None,
        )
    context = {
        "q": text,
        "scope": scope,
        "page": page,
        "found": found,
        "page_size": SEARCH_PAGE_SIZE,
        "last_page": SEARCH_PAGES,
        "statuses": STATUS_LABELS,
        "may_see_hidden": may_see_hidden,
        "moment": utcnow(),
        "category": None,
    }
    return render(request, "ideas/search_ideas.html", context)


async def show_idea(request: Request) -> Response:
    return await _render_idea(request, request.path_params["idea_id"])


async def _render_idea(
    request: Request,
    idea_id: int,
    *,
    values=None,
    errors=None,
    status_values=None,
    status_errors=None,
    merge_values=None,
    merge_errors=None,
    code=200,
) -> Response:
    db = request.app.state.db
    signed_in = request.user.is_authenticated
    viewer_id = request.user.id if signed_in else None
    after = None
    if "after" in request.query_params:
        try:
            after = ranking.SORTS["new"].parse_cursor(request.query_params["after"])[0]
        except ValueError:
            raise HTTPException(400, "That page link is not valid; start again from the first page.") from None
    idea, comments = await comment_queries.idea_page(db, idea_id, viewer_id=viewer_id, after=after)
    window = timedelta(minutes=request.app.state.settings.edit_window_minutes)
    context = {
        "idea": idea,
        "events": await queries.list_events(db, idea_id) if idea["has_events"] else [],
        "comments": comments,
        "edit_until": utcnow() - window,
        "votes_left": (
            max(
                idea["vote_budget"]
                - await votes.count_budget_votes(db, board_id=idea["board_id"], user_id=request.user.id),
                0,
            )
            if signed_in and idea["vote_budget"] is not None
            else None
        ),
        "statuses": STATUS_LABELS,
        "values": values or {},
        "errors": errors or {},
        "status_values": status_values or {},
        "status_errors": status_errors or {},
        "merge_values": merge_values or {},
        "merge_errors": merge_errors or {},
    }
    # What other domains show on the idea's page (contributors: the linked code).
    for panel in request.app.state.assembly.page_panels.get("idea", ()):
        context.update(await panel(db, request, idea))
    return render(request, "ideas/show_idea.html", context, code)


@signed_in(next=idea_page)
async def vote(request: Request) -> Response:
    """Vote (`vote=1`) or take the vote back (`vote=0`); idempotent, so a double click is harmless."""
    idea_id = request.path_params["idea_id"]
    formdata = await posted_fields(request)
    choice = formdata.get("vote")
    if choice not in ("0", "1"):
        raise HTTPException(400, "Say vote=1 to vote or vote=0 to take the vote back.")
    db = request.app.state.db
    wants_json = "application/json" in request.headers.get("accept", "")
    try:
        if choice == "1":
            vote_count = await votes.add_vote(db, idea_id, request.user.id)
        else:
            vote_count = await votes.remove_vote(db, idea_id, request.user.id)
    except votes.VoteRefused as refusal:
        if wants_json:
            return JSONResponse({"message": str(refusal)}, status_code=409)
        raise HTTPException(409, str(refusal)) from None
    if wants_json:
        return JSONResponse({"idea_id": idea_id, "voted": choice == "1", "vote_count": vote_count})
    next_path = formdata.get("next")
    fallback = path_for(request, "show_idea", idea_id=idea_id)
    return RedirectResponse(safe_next(next_path if isinstance(next_path, str) else None, fallback), 303)


@signed_in(next=idea_page)
async def add_comment(request: Request) -> Response:
    idea_id = request.path_params["idea_id"]
    db = request.app.state.db
    form = parse_comment(await request.form())
    idea = await queries.get_idea(db, idea_id)
    if idea["hidden_at"] is not None or idea["locked_at"] is not None:
        form.error("body", "A moderator locked or hid this idea: it takes no new comments.")
    mentioned = await check_mentions(db, form, "body") if form.is_valid else []
    if not form.is_valid:
        code = 400 if idea["hidden_at"] is None and idea["locked_at"] is None else 409
        return await _render_idea(request, idea_id, values=form.raw, errors=form.errors, code=code)
    comment_id = await comment_queries.add_comment(
        db,
        idea_id=idea_id,
        author_id=request.user.id,
        **posted_text(form),
        official=request.user.is_maintainer,
        mentioned=mentioned,
    )
    idea_path = path_for(request, "show_idea", idea_id=idea_id)
    after = await comment_queries.comment_page_cursor(db, idea_id, comment_id)
    page = f"?after={after}" if after else ""
    return RedirectResponse(f"{idea_path}{page}#comment-{comment_id}", status_code=303)


@role("maintainer")
async def change_status(request: Request) -> Response:
    """A maintainer moves an idea to a new status, with a public note for its timeline."""
    idea_id = request.path_params["idea_id"]
    form = parse_status_change(await request.form())
    if form.is_valid:
        try:
            await queries.change_status(
                request.app.state.db,
                idea_id=idea_id,
                actor_id=request.user.id,
                status=form.data["status"],
                note=form.data["note"],
                note_html=form.data["note_html"],
            )
        except queries.StatusUnchanged:
            form.error("status", "The idea has that status already.")
        except queries.IdeaMerged as merged:
            form.error("status", f"{merged} Change the status of that idea instead.")
        else:
            return RedirectResponse(path_for(request, "show_idea", idea_id=idea_id) + "#timeline", 303)
    return await _render_idea(request, idea_id, status_values=form.raw, status_errors=form.errors, code=400)


@role("maintainer")
async def merge_idea(request: Request) -> Response:
    """A maintainer merges this idea into another, with a public note."""
    idea_id = request.path_params["idea_id"]
    form = parse_merge(await request.form())
    if form.is_valid:
        try:
            await queries.merge_ideas(
                request.app.state.db,
                duplicate_id=idea_id,
                into_id=form.data["into"],
                actor_id=request.user.id,
                note=form.data["merge_note"],
                note_html=form.data["note_html"],
            )
        except queries.MergeRefused as refusal:
            form.error("into", str(refusal))
        else:
            return RedirectResponse(path_for(request, "show_idea", idea_id=form.data["into"]) + "#timeline", 303)
    return await _render_idea(request, idea_id, merge_values=form.raw, merge_errors=form.errors, code=400)


@signed_in(next=idea_page)
async def follow_idea(request: Request) -> Response:
    idea_id = request.path_params["idea_id"]
    idea_path = path_for(request, "show_idea", idea_id=idea_id)
    choice = follow_choice(await request.form())
    await queries.get_idea(request.app.state.db, idea_id)
    await following.set_idea_follow(request.app.state.db, request.user.id, idea_id, choice)
    return RedirectResponse(idea_path, 303)


routes = [
    Route("/", home, name="home"),
    *board_routes.routes,
    *content_routes.routes,
    *feeds.routes,
    Route("/boards/{slug:slug}", show_board, name="show_board"),
    Route("/search", search_ideas, name="search_ideas"),
    Route("/ideas/new", new_idea, methods=["GET", "POST"], name="new_idea"),
    Route("/ideas/similar", similar_ideas, name="similar_ideas"),
    Route("/ideas/{idea_id:id}", show_idea, name="show_idea"),
    Route("/ideas/{idea_id:id}/vote", vote, methods=["POST"], name="vote"),
    Route("/ideas/{idea_id:id}/comments", add_comment, methods=["POST"], name="add_comment"),
    Route("/ideas/{idea_id:id}/status", change_status, methods=["POST"], name="change_status"),
    Route("/ideas/{idea_id:id}/merge", merge_idea, methods=["POST"], name="merge_idea"),
    Route("/ideas/{idea_id:id}/follow", follow_idea, methods=["POST"], name="follow_idea"),
]
