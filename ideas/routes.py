"""The idea pages: the ranked list, submitting, one idea with its comments, voting, commenting."""

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ideas import queries
from ideas.forms import parse_comment, parse_idea
from portal.accounts.routes import safe_next, signin_url
from portal.templating import render


async def home(request: Request) -> Response:
    sort = request.query_params.get("sort", "top")
    if sort not in queries.SORTS:
        raise HTTPException(400, f"Unknown order {sort[:40]!r}: use one of {', '.join(queries.SORTS)}.")
    after = None
    if "after" in request.query_params:
        try:
            after = queries.parse_cursor(sort, request.query_params["after"])
        except ValueError:
            raise HTTPException(400, "That page link is not valid; start again from the first page.") from None
    db = request.app.state.db
    page = await queries.list_ideas(db, sort=sort, after=after)
    voted: set[int] = set()
    if request.user.is_authenticated:
        voted = await queries.voted_idea_ids(db, request.user.id, [row["id"] for row in page.rows])
    return render(request, "ideas/home.html", {"page": page, "sort": sort, "voted": voted})


async def new_idea(request: Request) -> Response:
    if not request.user.is_authenticated:
        return RedirectResponse(signin_url(request, request.url.path), status_code=303)
    if request.method == "GET":
        return render(request, "ideas/new_idea.html", {"values": {}, "errors": {}})
    form = parse_idea(await request.form())
    if not form.is_valid:
        return render(request, "ideas/new_idea.html", {"values": form.raw, "errors": form.errors}, 400)
    idea_id = await queries.create_idea(
        request.app.state.db,
        author_id=request.user.id,
        title=form.data["title"],
        body=form.data["body"],
        body_html=form.data["body_html"],
    )
    return RedirectResponse(request.url_for("show_idea", idea_id=idea_id).path, status_code=303)


async def show_idea(request: Request) -> Response:
    return await _render_idea(request, request.path_params["idea_id"])


async def _render_idea(request: Request, idea_id: int, *, values=None, errors=None, status_code=200) -> Response:
    db = request.app.state.db
    idea = await _get_idea_or_404(request, idea_id)
    after = None
    if "after" in request.query_params:
        try:
            after = queries.parse_cursor("new", request.query_params["after"])[0]
        except ValueError:
            raise HTTPException(400, "That page link is not valid; start again from the first page.") from None
    comments = await queries.list_comments(db, idea_id, after=after)
    voted = request.user.is_authenticated and bool(await queries.voted_idea_ids(db, request.user.id, [idea_id]))
    context = {
        "idea": idea,
        "comments": comments,
        "voted": voted,
        "values": values or {},
        "errors": errors or {},
    }
    return render(request, "ideas/show_idea.html", context, status_code)


async def _get_idea_or_404(request: Request, idea_id: int):
    try:
        return await queries.get_idea(request.app.state.db, idea_id)
    except queries.IdeaNotFound:
        raise HTTPException(404, "There is no idea with that number.") from None


async def vote(request: Request) -> Response:
    """Vote (`vote=1`) or take the vote back (`vote=0`); idempotent, so a double click is harmless."""
    idea_id = request.path_params["idea_id"]
    idea_path = request.url_for("show_idea", idea_id=idea_id).path
    if not request.user.is_authenticated:
        return RedirectResponse(signin_url(request, idea_path), 303)
    formdata = await request.form()
    choice = formdata.get("vote")
    if choice not in ("0", "1"):
        raise HTTPException(400, "Say vote=1 to vote or vote=0 to take the vote back.")
    db = request.app.state.db
    try:
        if choice == "1":
            vote_count = await queries.add_vote(db, idea_id, request.user.id)
        else:
            vote_count = await queries.remove_vote(db, idea_id, request.user.id)
    except queries.IdeaNotFound:
        raise HTTPException(404, "There is no idea with that number.") from None
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"idea_id": idea_id, "voted": choice == "1", "vote_count": vote_count})
    next_path = formdata.get("next")
    return RedirectResponse(safe_next(next_path if isinstance(next_path, str) else None, idea_path), 303)


async def add_comment(request: Request) -> Response:
    idea_id = request.path_params["idea_id"]
    if not request.user.is_authenticated:
        return RedirectResponse(signin_url(request, request.url_for("show_idea", idea_id=idea_id).path), 303)
    form = parse_comment(await request.form())
    if not form.is_valid:
        return await _render_idea(request, idea_id, values=form.raw, errors=form.errors, status_code=400)
    try:
        comment_id = await queries.add_comment(
            request.app.state.db,
            idea_id=idea_id,
            author_id=request.user.id,
            body=form.data["body"],
            body_html=form.data["body_html"],
        )
    except queries.IdeaNotFound:
        raise HTTPException(404, "There is no idea with that number.") from None
    idea_path = request.url_for("show_idea", idea_id=idea_id).path
    after = await queries.comment_page_cursor(request.app.state.db, idea_id, comment_id)
    page = f"?after={after}" if after else ""
    return RedirectResponse(f"{idea_path}{page}#comment-{comment_id}", status_code=303)


routes = [
    Route("/", home, name="home"),
    Route("/ideas/new", new_idea, methods=["GET", "POST"], name="new_idea"),
    Route("/ideas/{idea_id:id}", show_idea, name="show_idea"),
    Route("/ideas/{idea_id:id}/vote", vote, methods=["POST"], name="vote"),
    Route("/ideas/{idea_id:id}/comments", add_comment, methods=["POST"], name="add_comment"),
]
