"""Repositories, extensions and contributors: thin endpoints over contributors.queries and sync."""

import secrets
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from contributors import hosts, queries, sync
from contributors.forms import KIND_LABELS, PERIODS, parse_after, parse_link, parse_period
from contributors.git import METADATA_FILE
from ideas.forms import STATUS_LABELS
from portal.access import role, signed_in
from portal.db import utcnow
from portal.errors import NotFound
from portal.forms import clean_value
from portal.netguard import UnsafeURL
from portal.routing import path_for
from portal.templating import render

NO_SUCH_REPOSITORY = "There is no linked repository with that number."


async def _get_repository_or_404(request: Request) -> Any:
    repository = await queries.get_repository(request.app.state.db, request.path_params["repository_id"])
    if repository is None:
        raise NotFound(message=NO_SUCH_REPOSITORY)
    return repository


def _may_manage(request: Request, repository: Any) -> bool:
    user = request.user
    return user.is_authenticated and (user.is_maintainer or user.id == repository["owner_id"])


async def list_repositories(request: Request) -> Response:
    after = parse_after(request.query_params.get("after"))
    page = await queries.list_repositories(request.app.state.db, after=after)
    context = {"repositories": page.rows, "next_after": page.next_cursor, "kinds": KIND_LABELS}
    return render(request, "contributors/list_repositories.html", context)


def _link_context(request: Request, values: dict, errors: dict) -> dict:
    kinds = {k: v for k, v in KIND_LABELS.items() if k != "product" or request.user.is_maintainer}
    settings = request.app.state.settings
    local = settings.git_allow_local_paths and request.user.is_admin
    return {"values": values, "errors": errors, "kinds": kinds, "local_paths": local}


@signed_in
async def link_repository(request: Request) -> Response:
    if request.method == "GET":
        values = {"kind": request.query_params.get("kind", "contribution")}
        return render(request, "contributors/link_repository.html", _link_context(request, values, {}))
    db, settings = request.app.state.db, request.app.state.settings
    form = parse_link(await request.form(), is_maintainer=request.user.is_maintainer)
    if "url" not in form.errors:
        try:
            await sync.check_remote(form.data["url"], settings, may_use_local=request.user.is_admin)
        except UnsafeURL as error:
            form.error("url", str(error))
    if form.is_valid:
        url = form.data["url"]
        web_url, web_kind = hosts.web_page(url)
        try:
            repository_id = await queries.create_repository(
                db,
                url=url,
                url_key=hosts.url_key(url),
                kind=form.data["kind"],
                owner_id=request.user.id,
                web_url=web_url,
                web_kind=web_kind,
            )
        except queries.RepositoryTaken as taken:
            form.error("url", f"That repository is already linked (repository #{taken.repository_id}).")
        else:
            await sync.ensure_schedule(db, settings)
            return RedirectResponse(path_for(request, "show_repository", repository_id=repository_id), 303)
    return render(request, "contributors/link_repository.html", _link_context(request, form.raw, form.errors), 400)


async def show_repository(request: Request) -> Response:
    repository = await _get_repository_or_404(request)
    db = request.app.state.db
    manage = _may_manage(request, repository)
    context = {
        "repository": repository,
        "kinds": KIND_LABELS,
        "commits": await queries.linked_commits_of_repository(db, repository["id"]),
        "may_manage": manage,
        "webhook_url": _webhook_url(request, repository) if manage else None,
    }
    return render(request, "contributors/show_repository.html", context)


def _webhook_url(request: Request, repository: Any) -> str:
    """The secret push-webhook address, on PUBLIC_URL when set (the Host header can be anything)."""
    path = path_for(request, "repository_webhook", repository_id=repository["id"], token=repository["webhook_token"])
    public_url = request.app.state.settings.public_url
    return (public_url + path) if public_url else str(request.base_url).rstrip("/") + path


async def sync_repository(request: Request) -> Response:
    repository = await _get_repository_or_404(request)
    if not _may_manage(request, repository):
        raise HTTPException(403, "Only the member who linked this repository or a maintainer can sync it.")
    await queries.enqueue_sync(request.app.state.db, repository["id"])
    return RedirectResponse(path_for(request, "show_repository", repository_id=repository["id"]), 303)


@role("maintainer", "Only maintainers can decide that releases ship ideas.")
async def set_ships_ideas(request: Request) -> Response:
    repository = await _get_repository_or_404(request)
    if repository["kind"] != "product":
        raise HTTPException(400, "Only the product's own repository can ship ideas.")
    choice = (await request.form()).get("on")
    if choice not in ("0", "1"):
        raise HTTPException(400, "Say on=1 to turn this on or on=0 to turn it off.")
    await queries.set_ships_ideas(request.app.state.db, repository["id"], on=choice == "1", by_id=request.user.id)
    return RedirectResponse(path_for(request, "show_repository", repository_id=repository["id"]), 303)


async def unlink_repository(request: Request) -> Response:
    repository = await _get_repository_or_404(request)
    if not _may_manage(request, repository):
        raise HTTPException(403, "Only the member who linked this repository or a maintainer can unlink it.")
    await queries.delete_repository(request.app.state.db, repository["id"])
    sync.remove_mirror(request.app.state.settings, repository["id"])
    return RedirectResponse(path_for(request, "list_repositories"), 303)


async def repository_webhook(request: Request) -> Response:
    """A host's push webhook: the secret address is the credential; the sync runs after the answer."""
    db = request.app.state.db
    repository = await queries.get_repository(db, request.path_params["repository_id"])
    token = request.path_params["token"]
    if repository is None or not secrets.compare_digest(repository["webhook_token"].encode(), token.encode()):
        return JSONResponse({"error": "unknown webhook"}, status_code=404)
    async with db.transaction():
        await queries.enqueue_sync(db, repository["id"])
    return JSONResponse({"queued": True}, status_code=202)


async def list_extensions(request: Request) -> Response:
    search = clean_value(request.query_params.get("q", "")).strip()[:100]
    after = parse_after(request.query_params.get("after"))
    page = await queries.list_extensions(request.app.state.db, search=search, after=after)
    context = {"extensions": page.rows, "q": search, "next_after": page.next_cursor}
    return render(request, "contributors/list_extensions.html", context)


async def show_extension(request: Request) -> Response:
    repository = await _get_repository_or_404(request)
    if repository["kind"] != "extension":
        raise HTTPException(404, "There is no extension with that number.")
    db = request.app.state.db
    activity = list(repository["activity"] or [])
    context = {
        "extension": repository,
        "metadata": repository["extension"] or {},
        "ideas": await queries.ideas_of_extension(db, repository["id"]),
        "statuses": STATUS_LABELS,
        "activity": activity,
        "activity_max": max(activity, default=0) or 1,
        "metadata_file": METADATA_FILE,
    }
    return render(request, "contributors/show_extension.html", context)


async def list_contributors(request: Request) -> Response:
    period, since = parse_period(request.query_params.get("period"), utcnow())
    rows = await queries.rank_contributors(request.app.state.db, since=since)
    context = {"contributors": rows, "period": period, "periods": PERIODS}
    return render(request, "contributors/list_contributors.html", context)


async def idea_references_help(request: Request) -> Response:
    context = {"public_url": request.app.state.settings.public_url, "metadata_file": METADATA_FILE}
    return render(request, "contributors/idea_references_help.html", context)


routes = [
    Route("/repos", list_repositories, name="list_repositories"),
    Route("/repos/new", link_repository, methods=["GET", "POST"], name="link_repository"),
    Route("/repos/{repository_id:id}", show_repository, name="show_repository"),
    Route("/repos/{repository_id:id}/sync", sync_repository, methods=["POST"], name="sync_repository"),
    Route("/repos/{repository_id:id}/ships", set_ships_ideas, methods=["POST"], name="set_ships_ideas"),
    Route("/repos/{repository_id:id}/unlink", unlink_repository, methods=["POST"], name="unlink_repository"),
    Route(
        "/hooks/repos/{repository_id:id}/{token:str}", repository_webhook, methods=["POST"], name="repository_webhook"
    ),
    Route("/extensions", list_extensions, name="list_extensions"),
    Route("/extensions/{repository_id:id}", show_extension, name="show_extension"),
    Route("/contributors", list_contributors, name="list_contributors"),
    Route("/help/idea-references", idea_references_help, name="idea_references_help"),
]
