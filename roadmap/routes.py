"""The public roadmap, its draft and publications, milestones, releases, the changelog and feeds."""

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ideas import board_queries
from ideas import queries as idea_queries
from ideas.forms import STATUS_LABELS
from ideas.routes_common import follow_choice
from portal.access import role, signed_in
from portal.routing import path_for
from portal.templating import render, render_atom
from roadmap import diff, queries
from roadmap.forms import parse_draft_item, parse_milestone, parse_publication, parse_release
from roadmap.tables import COLUMNS


async def show_roadmap(request: Request) -> Response:
    db = request.app.state.db
    board = None
    if request.query_params.get("board"):
        try:
            board = await board_queries.get_board_by_slug(db, request.query_params["board"][:64])
        except board_queries.BoardNotFound:
            raise HTTPException(400, "There is no such board.") from None
    publication = await queries.latest_publication(db)
    if publication is not None:
        columns = await _published_columns(db, publication["items"], board)
    else:
        columns = await queries.live_columns(db, board_id=board["id"] if board else None)
    shown = [item["id"] for items in columns.values() for item in items]
    signed_in = request.user.is_authenticated
    context = {
        "columns": columns,
        "publication": publication,
        "board": board,
        "boards": await board_queries.list_boards(db),
        "milestones": await queries.list_milestones(db),
        "figures": await queries.responsiveness(db),
        "voted": await idea_queries.voted_idea_ids(db, request.user.id, shown) if signed_in else set(),
        "following": signed_in and await queries.follows_roadmap(db, request.user.id),
        "column_labels": diff.COLUMN_LABELS,
    }
    return render(request, "roadmap/show_roadmap.html", context)


async def _published_columns(db: Any, items: list[dict], board: Any | None) -> dict[str, list[dict]]:
    """The published items in their columns and order, with today's votes, status and board."""
    live = await queries.live_ideas(db, [item["idea_id"] for item in items])
    columns: dict[str, list[dict]] = {column: [] for column in COLUMNS}
    for item in sorted(items, key=lambda item: (item["position"], item["idea_id"])):
        idea = live.get(item["idea_id"])
        if idea is None or (board is not None and idea["board_slug"] != board["slug"]):
            continue
        columns[item["column"]].append({**dict(idea._mapping), **item, "id": idea["id"], "title": idea["title"]})
    return columns


@role("maintainer")
async def show_draft(request: Request, *, errors=None, values=None, code: int = 200) -> Response:
    db = request.app.state.db
    context = {
        "items": await queries.draft_items(db),
        "milestones": await queries.list_milestones(db),
        "column_labels": diff.COLUMN_LABELS,
        "errors": errors or {},
        "values": values or {},
    }
    return render(request, "roadmap/show_draft.html", context, code)


@role("maintainer")
async def put_draft_item(request: Request) -> Response:
    form = parse_draft_item(await request.form())
    if form.is_valid:
        try:
            await queries.put_draft_item(
                request.app.state.db,
                idea_id=form.data["idea_id"],
                column=form.data["column"],
                position=form.data["position"],
                milestone_id=form.data["milestone_id"],
                note=form.data["note"],
            )
        except queries.NotFound as missing:
            form.error("idea", str(missing))
        else:
            return RedirectResponse(path_for(request, "show_draft"), 303)
    return await show_draft(request, errors=form.errors, values=form.raw, code=400)


@role("maintainer")
async def remove_draft_item(request: Request) -> Response:
    await queries.remove_draft_item(request.app.state.db, request.path_params["idea_id"])
    return RedirectResponse(path_for(request, "show_draft"), 303)


@role("maintainer")
async def publish_roadmap(request: Request) -> Response:
    form = parse_publication(await request.form())
    if form.is_valid:
        try:
            publication_id = await queries.publish(
                request.app.state.db,
                actor_id=request.user.id,
                summary=form.data["summary"],
                summary_html=form.data["summary_html"],
            )
        except queries.EmptyDraft:
            form.error("summary", "The draft is empty: add ideas to it before publishing.")
        else:
            return RedirectResponse(path_for(request, "show_publication", publication_id=publication_id), 303)
    return await show_draft(request, errors=form.errors, values=form.raw, code=400)


@role("maintainer")
async def create_milestone(request: Request) -> Response:
    form = parse_milestone(await request.form())
    if form.is_valid:
        try:
            await queries.create_milestone(
                request.app.state.db,
                name=form.data["name"],
                target_date=form.data["target_date"],
                description=form.data["description"],
            )
        except queries.NameTaken:
            form.error("name", "A milestone has that name already.")
        else:
            return RedirectResponse(path_for(request, "show_draft"), 303)
    return await show_draft(request, errors=form.errors, values=form.raw, code=400)


@role("maintainer")
async def update_milestone(request: Request) -> Response:
    form = parse_milestone(await request.form())
    if form.is_valid:
        try:
            await queries.update_milestone(
                request.app.state.db,
                request.path_params["milestone_id"],
                name=form.data["name"],
                target_date=form.data["target_date"],
                description=form.data["description"],
            )
        except queries.NameTaken:
            form.error("name", "A milestone has that name already.")
        else:
            return RedirectResponse(path_for(request, "show_draft"), 303)
    return await show_draft(request, errors=form.errors, values=form.raw, code=400)


async def list_publications(request: Request) -> Response:
    publications = await queries.list_publications(request.app.state.db)
    return render(request, "roadmap/list_publications.html", {"publications": publications})


async def show_publication(request: Request) -> Response:
    db = request.app.state.db
    publication = await queries.get_publication(db, request.path_params["publication_id"])
    since_raw = request.query_params.get("since")
    if since_raw:
        if not (since_raw.isascii() and since_raw.isdecimal() and len(since_raw) < 18):
            raise HTTPException(400, "Choose a publication to compare with from the list.")
        earlier = await queries.get_publication(db, int(since_raw))
    else:
        previous_id = await queries.previous_publication_id(db, publication["id"])
        earlier = await queries.get_publication(db, previous_id) if previous_id else None
    changes = diff.compare(earlier["items"], publication["items"]) if earlier else None
    context = {
        "publication": publication,
        "earlier": earlier,
        "changes": changes,
        "publications": await queries.list_publications(db),
        "column_labels": diff.COLUMN_LABELS,
    }
    return render(request, "roadmap/show_publication.html", context)


@signed_in(next="/roadmap")
async def follow_roadmap(request: Request) -> Response:
    await queries.set_roadmap_follow(request.app.state.db, request.user.id, follow_choice(await request.form()))
    return RedirectResponse(path_for(request, "show_roadmap"), 303)


async def show_changelog(request: Request) -> Response:
    db = request.app.state.db
    releases = await queries.list_releases(db)
    shipped = await queries.ideas_of_releases(db, [release["id"] for release in releases])
    drafts = []
    if request.user.is_authenticated and request.user.is_maintainer:
        drafts = [r for r in await queries.list_releases(db, shipped_only=False) if r["shipped_at"] is None]
    return render(request, "roadmap/show_changelog.html", {"releases": releases, "shipped": shipped, "drafts": drafts})


@role("maintainer")
async def new_release(request: Request) -> Response:
    if request.method == "GET":
        return render(request, "roadmap/new_release.html", {"values": {}, "errors": {}})
    form = parse_release(await request.form())
    if form.is_valid:
        try:
            release_id = await queries.create_release(
                request.app.state.db,
                version=form.data["version"],
                released_on=form.data["released_on"],
                notes=form.data["notes"],
                notes_html=form.data["notes_html"],
                idea_ids=form.data["idea_ids"],
            )
        except queries.VersionTaken:
            form.error("version", "A release has that version already.")
        except queries.NotFound as missing:
            form.error("ideas", str(missing))
        else:
            return RedirectResponse(path_for(request, "show_release", release_id=release_id), 303)
    return render(request, "roadmap/new_release.html", {"values": form.raw, "errors": form.errors}, 400)


async def show_release(request: Request) -> Response:
    db = request.app.state.db
    release = await queries.get_release(db, request.path_params["release_id"])
    is_maintainer = request.user.is_authenticated and request.user.is_maintainer
    if release["shipped_at"] is None and not is_maintainer:
        raise HTTPException(404, "There is no such release.")
    shipped = await queries.ideas_of_releases(db, [release["id"]])
    return render(request, "roadmap/show_release.html", {"release": release, "ideas": shipped.get(release["id"], [])})


@role("maintainer")
async def ship_release(request: Request) -> Response:
    release_id = request.path_params["release_id"]
    try:
        await queries.ship_release(request.app.state.db, release_id=release_id, actor_id=request.user.id)
    except queries.VersionTaken:
        raise HTTPException(409, "This release has shipped already.") from None
    return RedirectResponse(path_for(request, "show_changelog"), 303)


async def changelog_feed(request: Request) -> Response:
    db = request.app.state.db
    releases = await queries.list_releases(db)
    shipped = await queries.ideas_of_releases(db, [release["id"] for release in releases])
    context = {"releases": releases, "shipped": shipped, "updated": releases[0]["shipped_at"] if releases else None}
    return render_atom(request, "feeds/changelog.xml", context)


async def publications_feed(request: Request) -> Response:
    publications = await queries.list_publications(request.app.state.db, limit=50)
    context = {"publications": publications, "updated": publications[0]["published_at"] if publications else None}
    return render_atom(request, "feeds/publications.xml", context)


async def idea_timeline_feed(request: Request) -> Response:
    db = request.app.state.db
    idea = await idea_queries.get_idea(db, request.path_params["idea_id"])
    if idea["hidden_at"] is not None:
        raise HTTPException(404, f"A moderator hid this idea: {idea['hidden_reason']}")
    events = await idea_queries.list_events(db, idea["id"])
    context = {"idea": idea, "events": events, "statuses": STATUS_LABELS, "updated": idea["updated_at"]}
    return render_atom(request, "feeds/idea_timeline.xml", context)


routes = [
    Route("/roadmap", show_roadmap, name="show_roadmap"),
    Route("/roadmap/draft", show_draft, name="show_draft"),
    Route("/roadmap/draft/items", put_draft_item, methods=["POST"], name="put_draft_item"),
    Route("/roadmap/draft/items/{idea_id:id}/remove", remove_draft_item, methods=["POST"], name="remove_draft_item"),
    Route("/roadmap/publish", publish_roadmap, methods=["POST"], name="publish_roadmap"),
    Route("/roadmap/follow", follow_roadmap, methods=["POST"], name="follow_roadmap"),
    Route("/roadmap/publications", list_publications, name="list_publications"),
    Route("/roadmap/publications.atom", publications_feed, name="publications_feed"),
    Route("/roadmap/publications/{publication_id:id}", show_publication, name="show_publication"),
    Route("/milestones", create_milestone, methods=["POST"], name="create_milestone"),
    Route("/milestones/{milestone_id:id}", update_milestone, methods=["POST"], name="update_milestone"),
    Route("/changelog", show_changelog, name="show_changelog"),
    Route("/changelog.atom", changelog_feed, name="changelog_feed"),
    Route("/releases/new", new_release, methods=["GET", "POST"], name="new_release"),
    Route("/releases/{release_id:id}", show_release, name="show_release"),
    Route("/releases/{release_id:id}/ship", ship_release, methods=["POST"], name="ship_release"),
    Route("/ideas/{idea_id:id}/timeline.atom", idea_timeline_feed, name="idea_timeline_feed"),
]
