"""Editing a post, whichever its kind: the author within the edit window while it is shown, a
maintainer at any time (ideas/posts.py's one rule). What differs between ideas, comments, threads
and replies (their form, template and where a maintainer's edit is recorded) is an `Editing`."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ideas import comment_queries, posts, queries
from ideas.discussions import forms as discussion_forms
from ideas.discussions import queries as discussion_queries
from ideas.discussions import reply_queries
from ideas.forms import parse_comment, parse_edit_note, parse_idea, posted_text
from ideas.moderation import queries as moderation_queries
from ideas.routes_common import may_edit, refuse_edit
from portal.access import signed_in
from portal.db import utcnow
from portal.forms import Form
from portal.mentions import check_mentions
from portal.routing import path_for
from portal.templating import render


@dataclass(frozen=True)
class Editing:
    kind: posts.PostKind
    template: str
    # The post (raising posts.PostNotFound), and the template's context for it.
    load: Callable[[Any, int], Awaitable[Any]]
    context: Callable[[Any, bool], dict[str, Any]]
    # The fields the form starts from.
    fields: tuple[str, ...]
    parse: Callable[[Mapping[str, Any], bool], Form]
    # Saves the edit (inside a transaction); returns where to go next.
    save: Callable[[Request, Any, Form, list[int], bool], Awaitable[str]]


async def edit_post(request: Request, editing: Editing, post_id: int) -> Response:
    db = request.app.state.db
    post = await editing.load(db, post_id)
    if not may_edit(request, post):
        refuse_edit(request)
    by_author = request.user.id == post["author_id"]
    context = {**editing.context(post, by_author), "errors": {}, "by_author": by_author}
    if request.method == "GET":
        context["values"] = {name: post[name] for name in editing.fields}
        return render(request, editing.template, context)
    form = editing.parse(await request.form(), by_author)
    mentioned = await check_mentions(db, form, "body") if form.is_valid else []
    if not form.is_valid:
        context.update(values=form.raw, errors=form.errors)
        return render(request, editing.template, context, 400)
    try:
        back = await editing.save(request, post, form, mentioned, by_author)
    except posts.PostNotFound:
        raise HTTPException(404, f"That {editing.kind} was deleted meanwhile.") from None
    return RedirectResponse(back, 303)


async def _load(db: Any, kind: posts.PostKind, post_id: int) -> Any:
    post = await posts.get(db, kind, post_id)
    if any(post[name] is not None for name in kind.gone if name != "hidden_at"):
        raise posts.PostNotFound(kind.name, post_id, f"That {kind} was deleted.")
    return post


# Ideas: a maintainer's edit of someone else's idea goes into its public history, with an optional note.


async def _load_idea(db: Any, idea_id: int) -> Any:
    try:
        return await queries.get_idea(db, idea_id)
    except queries.IdeaNotFound:
        raise posts.PostNotFound("idea", idea_id) from None


def _parse_idea(formdata: Mapping[str, Any], by_author: bool) -> Form:
    form = parse_idea(formdata)
    parse_edit_note(formdata, form)
    return form


async def _save_idea(request: Request, idea: Any, form: Form, mentioned: list[int], by_author: bool) -> str:
    await queries.edit_idea(
        request.app.state.db,
        idea_id=idea["id"],
        editor_id=request.user.id,
        by_author=by_author,
        title=form.data["title"],
        **posted_text(form),
        note=form.data.get("edit_note", ""),
        mentioned=mentioned,
    )
    return path_for(request, "show_idea", idea_id=idea["id"])


IDEA = Editing(
    posts.IDEA,
    "ideas/edit_idea.html",
    _load_idea,
    lambda idea, by_author: {"idea": idea},
    ("title", "body"),
    _parse_idea,
    _save_idea,
)


# Comments: a maintainer's edit stays marked beside the comment.


async def _save_comment(request: Request, comment: Any, form: Form, mentioned: list[int], by_author: bool) -> str:
    try:
        await comment_queries.edit_comment(
            request.app.state.db,
            comment_id=comment["id"],
            editor_id=request.user.id,
            by_author=by_author,
            **posted_text(form),
            mentioned=mentioned,
        )
    except comment_queries.CommentNotFound:
        raise posts.PostNotFound("comment", comment["id"]) from None
    return path_for(request, "show_idea", idea_id=comment["idea_id"]) + f"#comment-{comment['id']}"


COMMENT = Editing(
    posts.COMMENT,
    "ideas/edit_comment.html",
    lambda db, comment_id: _load(db, posts.COMMENT, comment_id),
    lambda comment, by_author: {"comment": comment},
    ("body",),
    lambda formdata, by_author: parse_comment(formdata),
    _save_comment,
)


# Threads and replies: a maintainer's edit of someone else's post goes into the public
# moderation log, with a note saying why.


def _discussion_parse(parse: Callable[[Mapping[str, Any]], Form]) -> Callable[[Mapping[str, Any], bool], Form]:
    def parse_with_note(formdata: Mapping[str, Any], by_author: bool) -> Form:
        form = parse(formdata)
        discussion_forms.parse_edit_note(formdata, form, required=not by_author)
        return form

    return parse_with_note


async def _log_edit(request: Request, kind: posts.PostKind, post: Any, form: Form, by_author: bool) -> None:
    if not by_author:
        await moderation_queries.log_edit(
            request.app.state.db,
            actor_id=request.user.id,
            kind=kind.name,
            target_id=post["id"],
            label=kind.label(post),
            note=form.data["edit_note"],
            now=utcnow(),
        )


async def _save_thread(request: Request, thread: Any, form: Form, mentioned: list[int], by_author: bool) -> str:
    async with request.app.state.db.transaction():
        await discussion_queries.edit_thread(
            request.app.state.db,
            thread_id=thread["id"],
            editor_id=request.user.id,
            title=form.data["title"],
            **posted_text(form),
            mentioned=mentioned,
            now=utcnow(),
        )
        await _log_edit(request, posts.THREAD, thread, form, by_author)
    return path_for(request, "show_thread", thread_id=thread["id"])


async def _save_reply(request: Request, reply: Any, form: Form, mentioned: list[int], by_author: bool) -> str:
    async with request.app.state.db.transaction():
        thread_id = await reply_queries.edit_reply(
            request.app.state.db,
            reply_id=reply["id"],
            editor_id=request.user.id,
            **posted_text(form),
            mentioned=mentioned,
            now=utcnow(),
        )
        await _log_edit(request, posts.REPLY, reply, form, by_author)
    return path_for(request, "show_thread", thread_id=thread_id) + f"#reply-{reply['id']}"


THREAD = Editing(
    posts.THREAD,
    "discussions/edit_post.html",
    lambda db, thread_id: _load(db, posts.THREAD, thread_id),
    lambda thread, by_author: {"post": thread, "kind": "thread"},
    ("title", "body"),
    _discussion_parse(discussion_forms.parse_thread_text),
    _save_thread,
)
REPLY = Editing(
    posts.REPLY,
    "discussions/edit_post.html",
    lambda db, reply_id: _load(db, posts.REPLY, reply_id),
    lambda reply, by_author: {"post": reply, "kind": "reply"},
    ("body",),
    _discussion_parse(discussion_forms.parse_reply),
    _save_reply,
)


def _here_if_it_exists(editing: Editing, param: str) -> Callable[[Request], Awaitable[str]]:
    """Where a visitor comes back to after signing in, once the post is found: what is not there
    answers 404 before anyone is asked to sign in."""

    async def here(request: Request) -> str:
        await editing.load(request.app.state.db, request.path_params[param])
        return request.url.path

    return here


@signed_in(next=_here_if_it_exists(IDEA, "idea_id"))
async def edit_idea(request: Request) -> Response:
    return await edit_post(request, IDEA, request.path_params["idea_id"])


@signed_in(next=_here_if_it_exists(COMMENT, "comment_id"))
async def edit_comment(request: Request) -> Response:
    return await edit_post(request, COMMENT, request.path_params["comment_id"])


@signed_in(next=_here_if_it_exists(THREAD, "thread_id"))
async def edit_thread(request: Request) -> Response:
    return await edit_post(request, THREAD, request.path_params["thread_id"])


@signed_in(next=_here_if_it_exists(REPLY, "reply_id"))
async def edit_reply(request: Request) -> Response:
    return await edit_post(request, REPLY, request.path_params["reply_id"])


idea_routes = [
    Route("/ideas/{idea_id:id}/edit", edit_idea, methods=["GET", "POST"], name="edit_idea"),
    Route("/comments/{comment_id:id}/edit", edit_comment, methods=["GET", "POST"], name="edit_comment"),
]
discussion_routes = [
    Route("/discussions/{thread_id:id}/edit", edit_thread, methods=["GET", "POST"], name="edit_thread"),
    Route("/discussions/replies/{reply_id:id}/edit", edit_reply, methods=["GET", "POST"], name="edit_reply"),
]
