"""The discussion pages: thread lists, one thread with its replies, posting, accepting an answer,
following, reacting, and turning a thread into an idea."""

from datetime import datetime
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ideas import board_queries, edit_routes
from ideas import votes as idea_votes
from ideas.discussions import category_routes, queries, reply_queries, to_idea
from ideas.discussions.forms import parse_reply, parse_thread, parse_to_idea
from ideas.forms import posted_text
from ideas.routes_common import may_edit
from portal import reactions
from portal.access import signed_in
from portal.db import utcnow
from portal.mentions import check_mentions
from portal.routing import path_for
from portal.templating import render


def now(request: Request) -> datetime:
    """The current moment; tests put a clock on app.state to see deadlines pass."""
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else utcnow()


def _thread_page(request: Request) -> str:
    """The page of the thread in the address: where a visitor who posted a form there comes back to."""
    return path_for(request, "show_thread", thread_id=request.path_params["thread_id"])


async def _the_replys_thread(request: Request) -> str:
    reply = await reply_queries.get_reply(request.app.state.db, request.path_params["reply_id"])
    return path_for(request, "show_thread", thread_id=reply["thread_id"])


def _may_see_hidden(request: Request) -> bool:
    return request.user.is_authenticated and request.user.is_maintainer


async def _render_list(request: Request, category: Any | None) -> Response:
    db = request.app.state.db
    after = None
    if request.query_params.get("after"):
        try:
            after = queries.parse_thread_cursor(request.query_params["after"])
        except (ValueError, OverflowError, OSError):
            raise HTTPException(400, "That page link is not valid; start again from the first page.") from None
    unanswered = request.query_params.get("unanswered") == "1"
    if unanswered and (category is None or category["kind"] != "questions"):
        raise HTTPException(400, "Only a questions category can be filtered to unanswered questions.")
    page = await queries.list_threads(
        db, category_id=category["id"] if category else None, unanswered=unanswered, after=after
    )
    context = {
        "page": page,
        "category": category,
        "categories": await queries.list_categories(db),
        "unanswered": unanswered,
        "may_see_hidden": _may_see_hidden(request),
        "moment": now(request),
    }
    return render(request, "discussions/list_threads.html", context)


async def list_threads(request: Request) -> Response:
    return await _render_list(request, None)


async def show_category(request: Request) -> Response:
    category = await queries.get_category_by_slug(request.app.state.db, request.path_params["slug"])
    return await _render_list(request, category)


@signed_in
async def new_thread(request: Request) -> Response:
    db = request.app.state.db
    categories = await queries.list_categories(db)
    options = [(row["slug"], row["name"]) for row in categories]
    context: dict[str, Any] = {"category_options": options, "errors": {}}
    if request.method == "GET":
        context["values"] = {
            "category": request.query_params.get("category", categories[0]["slug"] if categories else "")
        }
        return render(request, "discussions/new_thread.html", context)
    moment = now(request)
    form = parse_thread(await request.form(), {row["slug"]: row for row in categories}, moment)
    mentioned = await check_mentions(db, form, "body") if form.is_valid else []
    if not form.is_valid:
        context.update(values=form.raw, errors=form.errors)
        return render(request, "discussions/new_thread.html", context, 400)
    thread_id = await queries.create_thread(
        db,
        category_id=form.data["category"]["id"],
        author_id=request.user.id,
        title=form.data["title"],
        body=form.data["body"],
        body_html=form.data["body_html"],
        deadline=form.data["deadline"],
        mentioned=mentioned,
        now=moment,
    )
    return RedirectResponse(path_for(request, "show_thread", thread_id=thread_id), 303)


async def show_thread(request: Request) -> Response:
    return await _render_thread(request, request.path_params["thread_id"])


async def _render_thread(request: Request, thread_id: int, *, values=None, errors=None, code=200) -> Response:
    db = request.app.state.db
    thread = await queries.get_thread(db, thread_id)
    after = None
    if request.query_params.get("after"):
        raw = request.query_params["after"]
        if not (raw.isascii() and raw.isdecimal() and len(raw) <= 18):
            raise HTTPException(400, "That page link is not valid; start again from the first page.")
        after = int(raw)
    replies = await reply_queries.list_replies(db, thread_id, after=after)
    accepted = None
    if thread["accepted_reply_id"] is not None:
        accepted = (await reply_queries.replies_by_ids(db, [thread["accepted_reply_id"]])).get(
            thread["accepted_reply_id"]
        )
    signed_in = request.user.is_authenticated
    reply_ids = [row["id"] for row in replies.rows] + ([accepted["id"]] if accepted else [])
    moment = now(request)
    context = {
        "thread": thread,
        "replies": replies,
        "accepted": accepted,
        "closed_reason": queries.closed_reason(thread, moment),
        "may_see_hidden": _may_see_hidden(request),
        "may_accept": signed_in
        and thread["category_kind"] == "questions"
        and (request.user.id == thread["author_id"] or request.user.is_maintainer),
        "may_make_idea": signed_in
        and thread["idea_id"] is None
        and (request.user.id == thread["author_id"] or request.user.is_maintainer),
        "reactions": reactions.REACTIONS,
        "my_thread_reactions": (
            (await reactions.my_reactions(db, queries.THREAD_REACTIONS, request.user.id, [thread_id])).get(
                thread_id, set()
            )
            if signed_in
            else set()
        ),
        "my_reply_reactions": (
            await reactions.my_reactions(db, queries.REPLY_REACTIONS, request.user.id, reply_ids) if signed_in else {}
        ),
        "following": signed_in and await queries.follows_thread(db, request.user.id, thread_id),
        "may_edit": lambda post: may_edit(request, post),
        "values": values or {},
        "errors": errors or {},
    }
    return render(request, "discussions/show_thread.html", context, code)


@signed_in(next=_thread_page)
async def add_reply(request: Request) -> Response:
    thread_id = request.path_params["thread_id"]
    thread_path = path_for(request, "show_thread", thread_id=thread_id)
    db = request.app.state.db
    form = parse_reply(await request.form())
    mentioned = await check_mentions(db, form, "body") if form.is_valid else []
    if not form.is_valid:
        return await _render_thread(request, thread_id, values=form.raw, errors=form.errors, code=400)
    try:
        reply_id = await reply_queries.add_reply(
            db,
            thread_id=thread_id,
            author_id=request.user.id,
            **posted_text(form),
            mentioned=mentioned,
            now=now(request),
        )
    except queries.ThreadClosed as closed:
        form.error("body", str(closed))
        return await _render_thread(request, thread_id, values=form.raw, errors=form.errors, code=409)
    after = await reply_queries.reply_page_cursor(db, thread_id, reply_id)
    page = f"?after={after}" if after else ""
    return RedirectResponse(f"{thread_path}{page}#reply-{reply_id}", 303)


@signed_in(next=_thread_page)
async def accept_answer(request: Request) -> Response:
    """The asker or a maintainer marks a reply as the accepted answer (reply=0 takes it back)."""
    thread_id = request.path_params["thread_id"]
    thread_path = path_for(request, "show_thread", thread_id=thread_id)
    thread = await queries.get_thread(request.app.state.db, thread_id)
    if thread["category_kind"] != "questions":
        raise HTTPException(409, "Only questions have accepted answers; this thread is not in a questions category.")
    if not (request.user.id == thread["author_id"] or request.user.is_maintainer):
        raise HTTPException(403, "Only the member who asked, or a maintainer, can accept an answer.")
    raw = (await request.form()).get("reply")
    if not (isinstance(raw, str) and raw.isascii() and raw.isdecimal() and len(raw) <= 18):
        raise HTTPException(400, "Say which reply to accept (reply=its number, or reply=0 to accept none).")
    reply_id = int(raw) or None
    try:
        await reply_queries.accept_reply(
            request.app.state.db, thread_id=thread_id, reply_id=reply_id, actor_id=request.user.id
        )
    except queries.ReplyNotFound:
        raise HTTPException(404, "That reply is not part of this thread.") from None
    return RedirectResponse(thread_path + (f"#reply-{reply_id}" if reply_id else ""), 303)


@signed_in(next=_thread_page)
async def follow_thread(request: Request) -> Response:
    thread_id = request.path_params["thread_id"]
    thread_path = path_for(request, "show_thread", thread_id=thread_id)
    choice = (await request.form()).get("follow")
    if choice not in ("0", "1"):
        raise HTTPException(400, "Say follow=1 to follow or follow=0 to stop.")
    await queries.get_thread(request.app.state.db, thread_id)
    await queries.set_thread_follow(request.app.state.db, request.user.id, thread_id, choice == "1")
    return RedirectResponse(thread_path, 303)


async def _react(request: Request, target: reactions.ReactionTarget, target_id: int, back: str) -> Response:
    formdata = await request.form()
    reaction, choice = formdata.get("reaction"), formdata.get("on")
    if reaction not in reactions.REACTIONS or choice not in ("0", "1"):
        raise HTTPException(400, f"Choose a reaction ({', '.join(reactions.REACTIONS)}) and on=1 or on=0.")
    try:
        counts = await reactions.set_reaction(
            request.app.state.db,
            target,
            target_id=target_id,
            user_id=request.user.id,
            reaction=reaction,
            on=choice == "1",
        )
    except reactions.ReactionTargetNotFound:
        raise HTTPException(404, "There is nothing to react to there (it may be hidden).") from None
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"reactions": counts})
    return RedirectResponse(back, 303)


@signed_in(next=_thread_page)
async def react_to_thread(request: Request) -> Response:
    thread_id = request.path_params["thread_id"]
    back = path_for(request, "show_thread", thread_id=thread_id) + "#reactions"
    return await _react(request, queries.THREAD_REACTIONS, thread_id, back)


@signed_in(next=_the_replys_thread)
async def react_to_reply(request: Request) -> Response:
    reply = await reply_queries.get_reply(request.app.state.db, request.path_params["reply_id"])
    back = path_for(request, "show_thread", thread_id=reply["thread_id"]) + f"#reply-{reply['id']}"
    return await _react(request, queries.REPLY_REACTIONS, reply["id"], back)


@signed_in
async def thread_to_idea(request: Request) -> Response:
    """The author or a maintainer turns a thread into an idea on a chosen board; the thread then closes."""
    thread_id = request.path_params["thread_id"]
    thread = await queries.get_thread(request.app.state.db, thread_id)
    if not (request.user.id == thread["author_id"] or request.user.is_maintainer):
        raise HTTPException(403, "Only the thread's author or a maintainer can turn it into an idea.")
    if thread["idea_id"] is not None:
        return RedirectResponse(path_for(request, "show_idea", idea_id=thread["idea_id"]), 303)
    db = request.app.state.db
    board_rows = [row for row in await board_queries.list_boards(db) if not idea_votes.board_closed_reason(row)]
    context: dict[str, Any] = {"thread": thread, "boards": board_rows, "values": {"board": "general"}, "errors": {}}
    if request.method == "GET":
        return render(request, "discussions/thread_to_idea.html", context)
    form = parse_to_idea(await request.form(), {row["slug"]: row for row in board_rows})
    if not form.is_valid:
        context.update(values=form.raw, errors=form.errors)
        return render(request, "discussions/thread_to_idea.html", context, 400)
    thread_path = path_for(request, "show_thread", thread_id=thread_id)
    try:
        idea_id = await to_idea.turn_into_idea(
            db,
            thread_id=thread_id,
            board_id=form.data["board"]["id"],
            actor_id=request.user.id,
            thread_path=thread_path,
        )
    except to_idea.ThreadHidden:
        raise HTTPException(409, "A moderator hid this thread, so it cannot become an idea.") from None
    return RedirectResponse(path_for(request, "show_idea", idea_id=idea_id), 303)


routes = [
    Route("/discussions", list_threads, name="list_threads"),
    Route("/discussions/new", new_thread, methods=["GET", "POST"], name="new_thread"),
    *category_routes.routes,
    *edit_routes.discussion_routes,
    Route("/discussions/c/{slug:slug}", show_category, name="show_category"),
    Route("/discussions/{thread_id:id}", show_thread, name="show_thread"),
    Route("/discussions/{thread_id:id}/replies", add_reply, methods=["POST"], name="add_reply"),
    Route("/discussions/{thread_id:id}/accept", accept_answer, methods=["POST"], name="accept_answer"),
    Route("/discussions/{thread_id:id}/follow", follow_thread, methods=["POST"], name="follow_thread"),
    Route("/discussions/{thread_id:id}/react", react_to_thread, methods=["POST"], name="react_to_thread"),
    Route("/discussions/{thread_id:id}/idea", thread_to_idea, methods=["GET", "POST"], name="thread_to_idea"),
    Route("/discussions/replies/{reply_id:id}/react", react_to_reply, methods=["POST"], name="react_to_reply"),
]
