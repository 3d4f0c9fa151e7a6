"""Maintainers set up the discussion categories: create, edit, reorder."""

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ideas.discussions import queries
from ideas.discussions.forms import KIND_LABELS, parse_category
from portal.access import role
from portal.routing import path_for
from portal.templating import render

MAINTAINERS_ONLY = role("maintainer", "Only maintainers can set up discussion categories.")


@MAINTAINERS_ONLY
async def manage_categories(request: Request) -> Response:
    categories = await queries.list_categories(request.app.state.db)
    return render(request, "discussions/manage_categories.html", {"categories": categories, "kinds": KIND_LABELS})


@MAINTAINERS_ONLY
async def new_category(request: Request) -> Response:
    return await _category_form(request, None)


@MAINTAINERS_ONLY
async def edit_category(request: Request) -> Response:
    category = await queries.get_category_by_slug(request.app.state.db, request.path_params["slug"])
    return await _category_form(request, category)


async def _category_form(request: Request, category: Any | None) -> Response:
    db = request.app.state.db
    context: dict[str, Any] = {"category": category, "kinds": KIND_LABELS, "errors": {}}
    if request.method == "GET":
        if category is None:
            position = len(await queries.list_categories(db))
            context["values"] = {"kind": "plain", "position": str(position)}
        else:
            context["values"] = {key: str(category[key]) for key in ("name", "slug", "description", "kind", "position")}
        return render(request, "discussions/edit_category.html", context)
    form = parse_category(await request.form())
    if form.is_valid:
        values = {key: form.data[key] for key in ("name", "slug", "description", "kind", "position")}
        try:
            if category is None:
                await queries.create_category(db, **values)
            else:
                await queries.update_category(db, category["id"], **values)
        except queries.SlugTaken:
            form.error("slug", "Another category has that address; choose another.")
        else:
            return RedirectResponse(path_for(request, "manage_categories"), 303)
    context.update(values=form.raw, errors=form.errors)
    return render(request, "discussions/edit_category.html", context, 400)


routes = [
    Route("/discussions/categories", manage_categories, name="manage_categories"),
    Route("/discussions/categories/new", new_category, methods=["GET", "POST"], name="new_category"),
    Route("/discussions/categories/{slug:slug}/edit", edit_category, methods=["GET", "POST"], name="edit_category"),
]
