"""The rows of idea lists, each rendered once for what it shows.

Twenty rows are most of a list page's work, and a row looks the same to every visitor until the
idea changes. So a row's HTML is remembered under everything it is rendered from: the idea's
fields in ROW_FIELDS (the row template gets those and nothing else, so nothing it shows can be
left out of the key), the viewer's vote, the page it links back to, how old the idea reads
("3 days ago"), its tags. A changed idea is a new key; nothing is ever stale, and processes
need not share anything. The member's CSRF token is put in after the lookup.
"""

from typing import Any

from cachetools import LRUCache
from jinja2 import pass_context
from markupsafe import Markup, escape

from portal.templating import templates, time_ago

ROW_TEMPLATE = "ideas/_idea_row.html"
ROW_FIELDS = (
    "id",
    "title",
    "status",
    "vote_count",
    "comment_count",
    "created_at",
    "hidden_at",
    "hidden_reason",
    "board_slug",
    "board_name",
    "author_username",
    "author_display_name",
    "author_role",
    "author_is_founder",
)
# Escaped text can never contain "<", so this can only be where the row template put the token.
_CSRF_MARK = Markup("<!--csrf-->")
# About 1.5 KB a row: a few MB per process.
_rendered: LRUCache = LRUCache(maxsize=4096)


@pass_context
def idea_rows(context: Any, rows: list[Any], voted: set[int], next_path: str, tags: dict[int, list[Any]]) -> Markup:
    user = context.get("current_user")
    board = context.get("board")
    request = context["request"]
    viewer = (user is None, user is not None and user.is_maintainer)
    parts = []
    for row in rows:
        fields = tuple(row[name] for name in ROW_FIELDS)
        idea_tags = tuple((tag["slug"], tag["name"]) for tag in tags.get(row["id"], ()))
        ago = time_ago(row["created_at"])
        key = (fields, row["id"] in voted, next_path, viewer, board is None, idea_tags, ago, request.scope.get("root_path"))
        html = _rendered.get(key)
        if html is None:
            html = templates.env.get_template(ROW_TEMPLATE).render(
                request=request,
                current_user=user,
                csrf_token=_CSRF_MARK,
                idea=dict(zip(ROW_FIELDS, fields, strict=True)),
                voted=key[1],
                next=next_path,
                board=board,
                statuses=context["statuses"],
                idea_tags=idea_tags,
                ago=ago,
            )
            _rendered[key] = html
        parts.append(html)
    html = "".join(parts)
    if user is not None:
        html = html.replace(_CSRF_MARK, str(escape(str(context["csrf_token"]))))
    return Markup(html)


templates.env.globals["idea_rows"] = idea_rows
