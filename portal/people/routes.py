"""Profiles and the people directory: edit your profile, see someone's, find an expert."""

from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.access import signed_in
from portal.accounts.forms import USERNAME
from portal.forms import clean_value
from portal.people import avatars, queries
from portal.people.forms import expertise_slug, links_text, parse_profile
from portal.routing import path_for
from portal.templating import render

NAME_SEARCH_MAX = 80


def avatar_src(user_id: int | None, username: str | None, display_name: str | None, version: int | None) -> str:
    """Where a member's face comes from: their upload, or the picture generated from id and name."""
    if username and version:
        return f"/people/{username}/avatar?v={int(version)}"
    return avatars.generated_data_uri(user_id if username else None, display_name or "")


async def list_people(request: Request) -> Response:
    params = request.query_params
    name = clean_value(params.get("q", "")).strip()[:NAME_SEARCH_MAX]
    tag = expertise_slug(clean_value(params.get("tag", "")))
    for_hire = params.get("hire") in ("1", "on")
    after = None
    if params.get("after"):
        try:
            after = queries.parse_directory_cursor(params["after"])
        except ValueError:
            raise HTTPException(400, "That page link is not valid; start again from the first page.") from None
    db = request.app.state.db
    page = await queries.list_members(db, name=name, tag=tag, for_hire=for_hire, after=after)
    context = {
        "page": page,
        "expertise": await queries.expertise_of(db, [row["id"] for row in page.rows]),
        "popular": await queries.popular_expertise(db),
        "q": name,
        "tag": tag,
        "for_hire": for_hire,
    }
    return render(request, "people/list_people.html", context)


async def _member_or_404(request: Request) -> Any:
    username = request.path_params["username"]
    if not USERNAME.match(username):
        raise queries.MemberNotFound(username)
    return await queries.get_profile(request.app.state.db, username)


async def show_profile(request: Request) -> Response:
    member = await _member_or_404(request)
    db = request.app.state.db
    context = {
        "member": member,
        "expertise": (await queries.expertise_of(db, [member["id"]])).get(member["id"], []),
        **await queries.profile_sections(db, request, member, request.app.state.assembly.profile_sections),
    }
    return render(request, "people/show_profile.html", context)


async def avatar(request: Request) -> Response:
    username = request.path_params["username"]
    row = await queries.get_avatar(request.app.state.db, username) if USERNAME.match(username) else None
    if row is None:
        raise HTTPException(404, "This member has no uploaded picture.")
    # The address carries a version, so a new upload is a new address and this one can be kept long.
    headers = {
        "cache-control": "public, max-age=31536000, immutable",
        "x-content-type-options": "nosniff",
        "content-security-policy": "default-src 'none'; sandbox",
        "content-disposition": "inline",
    }
    return Response(bytes(row["data"]), media_type=row["content_type"], headers=headers)


def _profile_values(profile: Any, expertise: list[Any]) -> dict[str, str]:
    return {
        "display_name": profile["display_name"],
        "bio": profile["bio"],
        "affiliation": profile["affiliation"],
        "expertise": ", ".join(row["name"] for row in expertise),
        "links": links_text(profile["links"] or []),
        "for_hire": "on" if profile["for_hire"] else "",
        "hire_services": profile["hire_services"],
        "hire_rates": profile["hire_rates"],
        "hire_contact": profile["hire_contact"],
    }


async def _render_edit(
    request: Request, *, values=None, errors=None, avatar_error=None, saved=False, code=200
) -> Response:
    db = request.app.state.db
    profile = await queries.get_own_profile(db, request.user.id)
    expertise = (await queries.expertise_of(db, [request.user.id])).get(request.user.id, [])
    context = {
        "profile": profile,
        "values": values if values is not None else _profile_values(profile, expertise),
        "errors": errors or {},
        "avatar_error": avatar_error,
        "saved": saved,
        "avatar_max_kb": request.app.state.settings.avatar_max_bytes // 1024,
    }
    return render(request, "people/edit_profile.html", context, code)


@signed_in
async def edit_profile(request: Request) -> Response:
    if request.method == "GET":
        return await _render_edit(request, saved=request.query_params.get("saved") == "1")
    form = parse_profile(await request.form())
    if not form.is_valid:
        return await _render_edit(request, values=form.raw, errors=form.errors, code=400)
    await queries.update_profile(request.app.state.db, request.user.id, form.data)
    return RedirectResponse(path_for(request, "edit_profile") + "?saved=1", 303)


@signed_in(next="/settings/profile")
async def upload_avatar(request: Request) -> Response:
    limit = request.app.state.settings.avatar_max_bytes
    async with request.form(max_files=1, max_fields=5) as formdata:
        upload = formdata.get("avatar")
        data = await upload.read(limit + 1) if isinstance(upload, UploadFile) else b""
    error = _avatar_problem(data, limit)
    if error:
        return await _render_edit(request, avatar_error=error, code=400)
    await queries.set_avatar(request.app.state.db, request.user.id, content_type=avatars.sniff_image(data), data=data)
    return RedirectResponse(path_for(request, "edit_profile") + "?saved=1", 303)


def _avatar_problem(data: bytes, limit: int) -> str | None:
    if not data:
        return "Choose a picture file to upload (PNG, JPEG or WebP)."
    if len(data) > limit:
        return f"That picture is too large: the limit is {limit // 1024} KB. Make it smaller and try again."
    if avatars.sniff_image(data) is None:
        return "That file is not a PNG, JPEG or WebP picture (other types, SVG included, are not accepted)."
    return None


@signed_in(next="/settings/profile")
async def remove_avatar(request: Request) -> Response:
    await queries.remove_avatar(request.app.state.db, request.user.id)
    return RedirectResponse(path_for(request, "edit_profile") + "?saved=1", 303)


routes = [
    Route("/people", list_people, name="list_people"),
    Route("/people/{username}", show_profile, name="show_profile"),
    Route("/people/{username}/avatar", avatar, name="avatar"),
    Route("/settings/profile", edit_profile, methods=["GET", "POST"], name="edit_profile"),
    Route("/settings/profile/avatar", upload_avatar, methods=["POST"], name="upload_avatar"),
    Route("/settings/profile/avatar/remove", remove_avatar, methods=["POST"], name="remove_avatar"),
]
