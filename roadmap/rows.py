"""The ideas of the roadmap's columns, rendered once for what they show (portal.memo)."""

from typing import Any

from jinja2 import pass_context
from markupsafe import Markup

from portal.memo import RowMemo

_rows = RowMemo(
    "roadmap/_roadmap_row.html",
    ("id", "title", "vote_count", "comment_count", "board_slug", "board_name", "milestone", "target_date"),
    computed=("voted", "note"),
)


@pass_context
def roadmap_rows(context: Any, rows: list[Any], voted: set[int]) -> Markup:
    def per_row(row: Any) -> tuple:
        # A published roadmap's items carry the maintainers' note; the live columns none.
        return (row["id"] in voted, row.get("note"))

    return _rows.render(context, rows, {"next": context["request"].url.path}, per_row)
