"""Editing threads and replies: the author within the edit window, a maintainer at any time."""

from datetime import timedelta
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ideas.discussions import queries, reply_queries
from ideas.discussions.forms import parse_edit_note, parse_reply, parse_thread_text
from ideas.moderation import queries as moderation_queries
from portal.accounts.guards import refuse_if_suspended
from portal.accounts.routes import signin_url
from portal.db import utcnow
from portal.mentions import check_mentions
from portal.routing import path_for
from portal.templating import render


def may_edit(request: Request, post: Any) -> bool:
    user = request.user
    if not user.is_authenticated:
        return False
    if user.is_maintainer:
        return True
    window = timedelta(minutes=request.app.state.settings.edit_window_minutes)
    return user.id == post["author_id"] and post["hidden_at"] is None and utcnow() - post["created_at"] <= window


def _refuse(request: Request) -> None:
    minutes = request.app.state.settings.edit_window_minutes
    raise HTTPException(403, f"Authors can edit for {minutes} minutes after posting; after that, ask a maintainer.")


async def edit_thread(request: Request) -> Response:
    thread_id = request.path_params["thread_id"]
    db = request.app.state.db
    if not request.user.is_authenticated:
        return RedirectResponse(signin_url(request, request.url.path), 303)
    try:
        thread = await queries.get_thread(db, thread_id)
    except queries.ThreadNotFound:
        raise HTTPException(404, "There is no thread with that number.") from None
    if not may_edit(request, thread):
        _refuse(request)
    by_author = request.user.id == thread["author_id"]
    context: dict[str, Any] = {"post": thread, "kind": "thread", "errors": {}, "by_author": by_author}
    if request.method == "GET":
        context["values"] = {"title": thread["title"], "body": thread["body"]}
        return render(request, "discussions/edit_post.html", context)
    refuse_if_suspended(request)
    formdata = await request.form()
    form = parse_thread_text(formdata)
    parse_edit_note(formdata, form, required=not by_author)
    mentioned = await check_mentions(db, form, "body") if form.is_valid else []
    if not form.is_valid:
        context.update(values=form.raw, errors=form.errors)
        return render(request, "discussions/edit_post.html", context, 400)
    async with db.transaction():
        await queries.edit_thread(
            db,
            thread_id=thread_id,
            editor_id=request.user.id,
            title=form.data["title"],
            body=form.data["body"],
            body_html=form.data["body_html"],
            mentioned=mentioned,
            now=utcnow(),
        )
        if not by_author:
            await moderation_queries.log_edit(
                db,
                actor_id=request.user.id,
                kind="thread",
                target_id=thread_id,
                label=thread["title"],
                note=form.data["edit_note"],
                now=utcnow(),
            )
    return RedirectResponse(path_for(request, "show_thread", thread_id=thread_id), 303)


async def edit_reply(request: Request) -> Response:
    reply_id = request.path_params["reply_id"]
    db = request.app.state.db
    if not request.user.is_authenticated:
        return RedirectResponse(signin_url(request, request.url.path), 303)
    try:
        reply = await reply_queries.get_reply(db, reply_id)
    except queries.ReplyNotFound:
        raise HTTPException(404, "There is no reply with that number.") from None
    if not may_edit(request, reply):
        _refuse(request)
    by_author = request.user.id == reply["author_id"]
    context: dict[str, Any] = {"post": reply, "kind": "reply", "errors": {}, "by_author": by_author}
    if request.method == "GET":
        context["values"] = {"body": reply["body"]}
        return render(request, "discussions/edit_post.html", context)
    refuse_if_suspended(request)
    formdata = await request.form()
    form = parse_reply(formdata)
    parse_edit_note(formdata, form, required=not by_author)
    mentioned = await check_mentions(db, form, "body") if form.is_valid else []
    if not form.is_valid:
        context.update(values=form.raw, errors=form.errors)
        return render(request, "discussions/edit_post.html", context, 400)
    async with db.transaction():
        thread_id = await reply_queries.edit_reply(
            db,
            reply_id=reply_id,
            editor_id=request.user.id,
            body=form.data["body"],
            body_html=form.data["body_html"],
            mentioned=mentioned,
            now=utcnow(),
        )
        if not by_author:
            await moderation_queries.log_edit(
                db,
                actor_id=request.user.id,
                kind="reply",
                target_id=reply_id,
                label=f"reply to “{reply['thread_title']}”",
                note=form.data["edit_note"],
                now=utcnow(),
            )
    return RedirectResponse(path_for(request, "show_thread", thread_id=thread_id) + f"#reply-{reply_id}", 303)


routes = [
    Route("/discussions/{thread_id:id}/edit", edit_thread, methods=["GET", "POST"], name="edit_thread"),
    Route("/discussions/replies/{reply_id:id}/edit", edit_reply, methods=["GET", "POST"], name="edit_reply"),
]
