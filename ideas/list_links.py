"""The links of an idea list, stated once.

Every control of a list (the order tabs, the board links, the status filter, a tag, the author
filter, the next page) changes one filter and keeps every other; each builds its link here, from
the filters of the page it is on. Changing a filter starts again from the first page: a cursor
belongs to one order and one set of filters.
"""

from dataclasses import replace
from urllib.parse import urlencode

from jinja2 import pass_context

from ideas import ranking
from ideas.forms import DEFAULT_SORT, ListQuery
from portal.routing import path_for

# The filters in the query string, in the order links show them; the board is in the path.
QUERY_FILTERS = ("sort", "status", "tag", "author", "after")


def blank_query() -> ListQuery:
    """The filters of the unfiltered list of every idea (the home page)."""
    return ListQuery(sort=ranking.SORTS[DEFAULT_SORT], after=None, status=None, author=None)


def list_params(query: ListQuery, **change: str | None) -> dict[str, str]:
    """The query string of `query` with the filters in `change` set (None: taken off)."""
    unknown = change.keys() - {*QUERY_FILTERS, "board"}
    if unknown:
        raise TypeError(f"not a list filter: {', '.join(sorted(unknown))}")
    current = {
        "sort": query.sort.name,
        "status": query.status,
        "tag": query.tag,
        "author": query.author,
        "after": None,  # only the next-page link sets a cursor
        **change,
    }
    if current["sort"] == DEFAULT_SORT:
        current["sort"] = None
    return {name: current[name] for name in QUERY_FILTERS if current.get(name)}


def list_path(request, query: ListQuery, **change: str | None) -> str:
    board = change.get("board", query.board)
    return path_for(request, "show_board", slug=board) if board else path_for(request, "home")


@pass_context
def list_url(context, query: ListQuery | None, **change: str | None) -> str:
    """The list `query` came from, with the filters in `change` set: `list_url(query, tag="ux")`."""
    query = query or blank_query()
    params = list_params(query, **change)
    path = list_path(context["request"], query, **change)
    return f"{path}?{urlencode(params)}" if params else path


@pass_context
def list_form(context, query: ListQuery, field: str) -> tuple[str, dict[str, str]]:
    """A filter form's action and hidden fields: every filter but `field`, which the form sets."""
    return list_path(context["request"], query), list_params(query, **{field: None})


def without_cursor(query: ListQuery) -> ListQuery:
    return replace(query, after=None)
