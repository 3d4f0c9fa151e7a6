"""Deleting comments, reactions, and tags (editing: ideas/edit_routes.py)."""

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ideas import comment_queries, edit_routes, queries, reactions, tagging
from ideas.forms import parse_tags
from ideas.routes_common import idea_page
from ideas.tables import REACTIONS
from portal.access import role, signed_in
from portal.errors import NotFound
from portal.routing import path_for


async def _comment_or_404(request: Request, comment_id: int) -> Any:
    comment = await comment_queries.get_comment(request.app.state.db, comment_id)
    if comment["deleted_at"] is not None:
        raise NotFound(message="That comment was deleted.")
    return comment


# Where a visitor comes back to after signing in; each looks its comment up first, so that what
# is not there answers 404 before anyone is asked to sign in.


async def _the_comment(request: Request) -> str:
    return _comment_path(request, await _comment_or_404(request, request.path_params["comment_id"]))


async def _the_comments_idea(request: Request) -> str:
    comment = await _comment_or_404(request, request.path_params["comment_id"])
    return path_for(request, "show_idea", idea_id=comment["idea_id"])


@signed_in(next=_the_comment)
async def delete_comment(request: Request) -> Response:
    """The author or a maintainer deletes a comment; a tombstone keeps its place in the thread."""
    comment_id = request.path_params["comment_id"]
    comment = await _comment_or_404(request, comment_id)
    by_author = request.user.id == comment["author_id"]
    if not (by_author or request.user.is_maintainer):
        raise HTTPException(403, "Only the author or a maintainer can delete a comment.")
    try:
        await comment_queries.delete_comment(
            request.app.state.db, comment_id=comment_id, actor_id=request.user.id, by_author=by_author
        )
    except comment_queries.CommentNotFound:
        raise HTTPException(404, "That comment was deleted already.") from None
    return RedirectResponse(_comment_path(request, comment), 303)


def _comment_path(request: Request, comment: Any) -> str:
    return path_for(request, "show_idea", idea_id=comment["idea_id"]) + f"#comment-{comment['id']}"


async def _react(request: Request, target: str, target_id: int, back: str) -> Response:
    formdata = await request.form()
    reaction, choice = formdata.get("reaction"), formdata.get("on")
    if reaction not in REACTIONS or choice not in ("0", "1"):
        raise HTTPException(400, f"Choose a reaction ({', '.join(REACTIONS)}) and on=1 or on=0.")
    try:
        counts = await reactions.set_reaction(
            request.app.state.db,
            target=target,
            target_id=target_id,
            user_id=request.user.id,
            reaction=reaction,
            on=choice == "1",
        )
    except reactions.ReactionTargetNotFound:
        raise HTTPException(404, f"There is no {target} with that number.") from None
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"reactions": counts})
    return RedirectResponse(back, 303)


@signed_in(next=idea_page)
async def react_to_idea(request: Request) -> Response:
    idea_id = request.path_params["idea_id"]
    return await _react(request, "idea", idea_id, path_for(request, "show_idea", idea_id=idea_id) + "#reactions")


@signed_in(next=_the_comments_idea)
async def react_to_comment(request: Request) -> Response:
    comment = await _comment_or_404(request, request.path_params["comment_id"])
    return await _react(request, "comment", comment["id"], _comment_path(request, comment))


@role("maintainer")
async def set_tags(request: Request) -> Response:
    idea_id = request.path_params["idea_id"]
    await queries.get_idea(request.app.state.db, idea_id)
    form = parse_tags(await request.form())
    if not form.is_valid:
        raise HTTPException(400, " ".join(form.errors.values()))
    await tagging.set_idea_tags(request.app.state.db, idea_id, form.data["tags"])
    return RedirectResponse(path_for(request, "show_idea", idea_id=idea_id), 303)


routes = [
    *edit_routes.idea_routes,
    Route("/ideas/{idea_id:id}/react", react_to_idea, methods=["POST"], name="react_to_idea"),
    Route("/ideas/{idea_id:id}/tags", set_tags, methods=["POST"], name="set_tags"),
    Route("/comments/{comment_id:id}/delete", delete_comment, methods=["POST"], name="delete_comment"),
    Route("/comments/{comment_id:id}/react", react_to_comment, methods=["POST"], name="react_to_comment"),
]
