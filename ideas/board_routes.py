"""Board pages for maintainers (create, edit, archive) and following a board."""

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ideas import board_queries, following, votes
from ideas.forms import parse_board
from ideas.routes_common import follow_choice
from portal.access import role, signed_in
from portal.routing import path_for
from portal.templating import render


async def list_boards(request: Request) -> Response:
    db = request.app.state.db
    include_archived = request.user.is_authenticated and request.user.is_maintainer
    boards = await board_queries.list_boards(db, include_archived=include_archived)
    return render(request, "ideas/list_boards.html", {"boards": boards, "closed_reason": votes.board_closed_reason})


@role("maintainer")
async def new_board(request: Request) -> Response:
    if request.method == "GET":
        return render(request, "ideas/edit_board.html", {"board": None, "values": {}, "errors": {}})
    form = parse_board(await request.form())
    if form.is_valid:
        try:
            await board_queries.create_board(request.app.state.db, **_board_values(form.data))
        except board_queries.SlugTaken:
            form.error("slug", "Another board has that address; choose another.")
        else:
            return RedirectResponse(path_for(request, "show_board", slug=form.data["slug"]), 303)
    return render(request, "ideas/edit_board.html", {"board": None, "values": form.raw, "errors": form.errors}, 400)


@role("maintainer")
async def edit_board(request: Request) -> Response:
    board = await board_queries.get_board_by_slug(request.app.state.db, request.path_params["slug"])
    if request.method == "GET":
        return render(
            request, "ideas/edit_board.html", {"board": board, "values": _board_form_values(board), "errors": {}}
        )
    form = parse_board(await request.form())
    if form.is_valid:
        try:
            await board_queries.update_board(request.app.state.db, board["id"], **_board_values(form.data))
        except board_queries.SlugTaken:
            form.error("slug", "Another board has that address; choose another.")
        else:
            return RedirectResponse(path_for(request, "list_boards"), 303)
    context = {"board": board, "values": form.raw, "errors": form.errors}
    return render(request, "ideas/edit_board.html", context, 400)


_BOARD_FIELDS = (
    "name",
    "slug",
    "description",
    "position",
    "vote_budget",
    "campaign_question",
    "opens_at",
    "closes_at",
    "is_archived",
)


def _board_values(data: dict[str, Any]) -> dict[str, Any]:
    return {name: data[name] for name in _BOARD_FIELDS}


def _board_form_values(board: Any) -> dict[str, str]:
    values = {name: "" if board[name] is None else str(board[name]) for name in ("name", "slug", "description")}
    values["position"] = str(board["position"])
    values["vote_budget"] = "" if board["vote_budget"] is None else str(board["vote_budget"])
    values["campaign_question"] = board["campaign_question"] or ""
    values["opens_at"] = f"{board['opens_at']:%Y-%m-%d}" if board["opens_at"] else ""
    values["closes_at"] = f"{board['closes_at'] - timedelta(days=1):%Y-%m-%d}" if board["closes_at"] else ""
    if board["is_archived"]:
        values["is_archived"] = "on"
    return values


async def _board_page(request: Request) -> str:
    board = await board_queries.get_board_by_slug(request.app.state.db, request.path_params["slug"])
    return path_for(request, "show_board", slug=board["slug"])


@signed_in(next=_board_page)
async def follow_board(request: Request) -> Response:
    board = await board_queries.get_board_by_slug(request.app.state.db, request.path_params["slug"])
    board_path = path_for(request, "show_board", slug=board["slug"])
    choice = follow_choice(await request.form())
    await following.set_board_follow(request.app.state.db, request.user.id, board["id"], choice)
    return RedirectResponse(board_path, 303)


routes = [
    Route("/boards", list_boards, name="list_boards"),
    Route("/boards/new", new_board, methods=["GET", "POST"], name="new_board"),
    Route("/boards/{slug:slug}/edit", edit_board, methods=["GET", "POST"], name="edit_board"),
    Route("/boards/{slug:slug}/follow", follow_board, methods=["POST"], name="follow_board"),
]
