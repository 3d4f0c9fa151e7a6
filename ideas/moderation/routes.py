"""Moderation in the open: flagging, the queue, moderators' actions, suspensions, the public log,
and the code of conduct."""

from datetime import datetime, timedelta
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ideas import board_queries, posts
from ideas.discussions import queries as discussion_queries
from ideas.moderation import queries
from ideas.moderation.forms import (
    POST_ACTIONS,
    parse_action,
    parse_code_of_conduct,
    parse_flag,
    parse_suspension,
    parse_target,
)
from portal.access import role, signed_in
from portal.accounts.queries import get_user_by_username
from portal.db import utcnow
from portal.errors import NotFound
from portal.routing import path_for
from portal.templating import render


def now(request: Request) -> datetime:
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else utcnow()


def _before(request: Request) -> int | None:
    raw = request.query_params.get("before")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdecimal() and len(raw) <= 18):
        raise HTTPException(400, "That page link is not valid; start again from the first page.")
    return int(raw)


async def _target_or_404(request: Request, params: Any) -> queries.Target:
    key = parse_target(params)
    if key is None:
        raise NotFound(message=NOTHING_THERE)
    try:
        return await queries.get_target(request.app.state.db, *key)
    except queries.TargetNotFound:
        raise NotFound(message=NOTHING_THERE) from None


NOTHING_THERE = "There is no post there to flag or moderate."


def _this_page_and_query(request: Request) -> str:
    return request.url.path + "?" + request.url.query


@signed_in(next=_this_page_and_query)
async def flag_content(request: Request) -> Response:
    formdata = await request.form() if request.method == "POST" else None
    target = await _target_or_404(request, formdata if formdata is not None else request.query_params)
    context: dict[str, Any] = {"target": target, "values": {}, "errors": {}}
    if formdata is None:
        return render(request, "moderation/flag_content.html", context)
    form = parse_flag(formdata)
    code = 400
    if form.is_valid:
        try:
            await queries.flag(
                request.app.state.db,
                kind=target.kind.name,
                target_id=target.id,
                user_id=request.user.id,
                reason=form.data["reason"],
                now=now(request),
            )
        except queries.AlreadyFlagged as flagged:
            code = 409
            form.error(
                "reason",
                f"You flagged this {target.kind} already, on {flagged.flagged_at:%Y-%m-%d}; the moderators have it. "
                "A second flag changes nothing.",
            )
        else:
            return render(request, "moderation/flagged.html", {"target": target})
    context.update(values=form.raw, errors=form.errors)
    return render(request, "moderation/flag_content.html", context, code)


@role("maintainer")
async def moderation_queue(request: Request) -> Response:
    db = request.app.state.db
    page = await queries.list_open_flags(db, before=_before(request))
    targets = await queries.load_targets(db, [(row["target_kind"], row["target_id"]) for row in page.rows])
    return render(request, "moderation/moderation_queue.html", {"page": page, "targets": targets})


@role("maintainer")
async def moderate(request: Request) -> Response:
    """A moderator's page for one post: its flags, and the actions with a public note."""
    db = request.app.state.db
    formdata = await request.form() if request.method == "POST" else None
    target = await _target_or_404(request, formdata if formdata is not None else request.query_params)
    if target.kind is posts.IDEA:
        destinations = {row["slug"]: row for row in await board_queries.list_boards(db)}
    elif target.kind is posts.THREAD:
        destinations = {row["slug"]: row for row in await discussion_queries.list_categories(db)}
    else:
        destinations = {}
    context: dict[str, Any] = {
        "target": target,
        "flags": await queries.open_flags_of(db, target.kind.name, target.id),
        "actions": POST_ACTIONS,
        "destinations": [(slug, row["name"]) for slug, row in destinations.items()],
        "values": {},
        "errors": {},
    }
    if formdata is None:
        return render(request, "moderation/moderate.html", context)
    form = parse_action(formdata)
    if form.is_valid:
        destination = None
        if form.data["action"] == "move":
            destination = destinations.get(form.data["destination"])
            if destination is None:
                form.error("destination", f"A {target.kind} cannot move there; choose one in the list.")
        if form.is_valid:
            try:
                await queries.act(
                    db,
                    actor_id=request.user.id,
                    target=target,
                    action=form.data["action"],
                    note=form.data["note"],
                    now=now(request),
                    destination=destination,
                )
            except queries.ActionRefused as refusal:
                form.error("action", str(refusal))
            else:
                return RedirectResponse(path_for(request, "moderation_log"), 303)
    context.update(values=form.raw, errors=form.errors)
    return render(request, "moderation/moderate.html", context, 400)


@role("admin")
async def suspend_member(request: Request) -> Response:
    db = request.app.state.db
    member = await get_user_by_username(db, request.path_params["username"])
    if member is None:
        raise HTTPException(404, "There is no member with that username.")
    context: dict[str, Any] = {"member": member, "values": {}, "errors": {}, "moment": now(request)}
    if request.method == "GET":
        return render(request, "moderation/suspend_member.html", context)
    form = parse_suspension(await request.form())
    if not form.data["lift"] and member["id"] == request.user.id and form.is_valid:
        form.error("days", "You cannot suspend yourself.")
    if form.data["lift"] and not (member["suspended_until"] and member["suspended_until"] > now(request)):
        form.error("note", "This member is not suspended.")
    if not form.is_valid:
        context.update(values=form.raw, errors=form.errors)
        return render(request, "moderation/suspend_member.html", context, 400)
    until = None if form.data["lift"] else now(request) + timedelta(days=form.data["days"])
    await queries.set_suspension(
        db, actor_id=request.user.id, user=member, until=until, note=form.data["note"], now=now(request)
    )
    return RedirectResponse(path_for(request, "moderation_log"), 303)


async def moderation_log(request: Request) -> Response:
    page = await queries.list_log(request.app.state.db, before=_before(request))
    return render(request, "moderation/moderation_log.html", {"page": page})


async def code_of_conduct(request: Request) -> Response:
    text = await queries.get_code_of_conduct(request.app.state.db)
    return render(request, "moderation/code_of_conduct.html", {"text": text})


@role("admin")
async def edit_code_of_conduct(request: Request) -> Response:
    db = request.app.state.db
    if request.method == "GET":
        text = await queries.get_code_of_conduct(db)
        return render(request, "moderation/edit_code_of_conduct.html", {"values": {"body": text["body"]}, "errors": {}})
    form = parse_code_of_conduct(await request.form())
    if not form.is_valid:
        context = {"values": form.raw, "errors": form.errors}
        return render(request, "moderation/edit_code_of_conduct.html", context, 400)
    await queries.save_code_of_conduct(
        db, actor_id=request.user.id, body=form.data["body"], note=form.data["note"], now=now(request)
    )
    return RedirectResponse(path_for(request, "code_of_conduct"), 303)


routes = [
    Route("/moderation/flag", flag_content, methods=["GET", "POST"], name="flag_content"),
    Route("/moderation/queue", moderation_queue, name="moderation_queue"),
    Route("/moderation/act", moderate, methods=["GET", "POST"], name="moderate"),
    Route("/moderation/log", moderation_log, name="moderation_log"),
    Route("/moderation/members/{username}/suspend", suspend_member, methods=["GET", "POST"], name="suspend_member"),
    Route("/code-of-conduct", code_of_conduct, name="code_of_conduct"),
    Route("/code-of-conduct/edit", edit_code_of_conduct, methods=["GET", "POST"], name="edit_code_of_conduct"),
]
