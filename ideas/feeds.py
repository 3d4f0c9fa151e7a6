"""Atom feeds of what is new: ideas on every board, on one board, and threads in a discussion category.

Each is linked from its page's <head> (rel="alternate") so that feed readers find it.
"""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ideas import board_queries, feed_queries
from ideas.discussions import queries as discussion_queries
from portal.db import utcnow
from portal.templating import render_atom


def _feed(request: Request, title: str, page_url: str, rows: list, kind: str) -> Response:
    entries = [
        {
            "title": row["title"],
            "url": str(request.url_for("show_idea" if kind == "idea" else "show_thread", **{f"{kind}_id": row["id"]})),
            "published": row["created_at"],
            "updated": row["edited_at"] or row["created_at"],
            "author": row["author_display_name"] or "deleted member",
            "content_html": row["body_html"],
            "where": row["board_name"] if kind == "idea" else row["category_name"],
        }
        for row in rows
    ]
    context = {
        "title": title,
        "self_url": str(request.url.replace(query="", fragment="")),
        "page_url": page_url,
        "entries": entries,
        "updated": max((entry["updated"] for entry in entries), default=None) or utcnow(),
    }
    return render_atom(request, "feeds/new_posts.xml", context)


async def ideas_feed(request: Request) -> Response:
    rows = await feed_queries.latest_ideas(request.app.state.db)
    site = request.app.state.settings.site_name
    return _feed(request, f"{site}: new ideas", str(request.url_for("home")), rows, "idea")


async def board_feed(request: Request) -> Response:
    board = await board_queries.get_board_by_slug(request.app.state.db, request.path_params["slug"])
    rows = await feed_queries.latest_ideas(request.app.state.db, board_id=board["id"])
    page_url = str(request.url_for("show_board", slug=board["slug"]))
    return _feed(request, f"{board['name']}: new ideas", page_url, rows, "idea")


async def category_feed(request: Request) -> Response:
    category = await discussion_queries.get_category_by_slug(request.app.state.db, request.path_params["slug"])
    rows = await feed_queries.latest_threads(request.app.state.db, category_id=category["id"])
    page_url = str(request.url_for("show_category", slug=category["slug"]))
    return _feed(request, f"{category['name']}: new discussions", page_url, rows, "thread")


routes = [
    Route("/ideas.atom", ideas_feed, name="ideas_feed"),
    Route("/boards/{slug:slug}.atom", board_feed, name="board_feed"),
    Route("/discussions/c/{slug:slug}.atom", category_feed, name="category_feed"),
]
