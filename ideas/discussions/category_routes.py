"""Maintainers set up the discussion categories: create, edit, reorder."""

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ideas.discussions import queries
from ideas.discussions.forms import KIND_LABELS, parse_category
from portal.routing import path_for
from portal.templating import render


def _require_maintainer(request: Request) -> None:
    if not request.user.is_authenticated or not request.user.is_maintainer:
        raise HTTPException(403, "Only maintainers can set up discussion categories.")


async def category_or_404(request: Request, slug: str) -> Any:
    try:
        return await queries.get_category_by_slug(request.app.state.db, slug)
    except queries.CategoryNotFound:
        raise HTTPException(404, "There is no discussion category at that address.") from None


async def manage_categories(request: Request) -> Response:
    _require_maintainer(request)
    categories = await queries.list_categories(request.app.state.db)
    return render(request, "discussions/manage_categories.html", {"categories": categories, "kinds": KIND_LABELS})


async def new_category(request: Request) -> Response:
    _require_maintainer(request)
    return await _category_form(request, None)


async def edit_category(request: Request) -> Response:
    _require_maintainer(request)
    category = await category_or_404(request, request.path_params["slug"])
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
