"""What the idea and board endpoints (pages and API) share: authorization, look-ups, and the checks
of an idea's board and a list's filters that need the database."""

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request

from ideas import board_queries, posts, queries, search, tagging, votes
from ideas.discussions import queries as discussion_queries
from ideas.discussions import search as discussion_search
from ideas.forms import BadListQuery, ListQuery
from portal.accounts.queries import get_user_by_username
from portal.db import Database, utcnow
from portal.forms import Form
from portal.routing import path_for


def idea_page(request: Request) -> str:
    """The page of the idea in the address: where a visitor who posted a form there comes back to."""
    return path_for(request, "show_idea", idea_id=request.path_params["idea_id"])


def follow_choice(formdata: Any) -> bool:
    choice = formdata.get("follow")
    if choice not in ("0", "1"):
        raise HTTPException(400, "Say follow=1 to follow or follow=0 to stop.")
    return choice == "1"


def may_edit(request: Request, post: Any) -> bool:
    """Whether the person asking may edit the post: ideas/posts.py's one rule for every kind."""
    window = timedelta(minutes=request.app.state.settings.edit_window_minutes)
    return posts.may_edit(request.user, post, window=window, now=utcnow())


def refuse_edit(request: Request) -> None:
    raise HTTPException(403, posts.edit_refusal(request.app.state.settings.edit_window_minutes))


async def board_for_new_idea(db: Database, form: Form) -> Any | None:
    """The board a new idea goes to, or None with an error on the form's `board` field."""
    try:
        board = await board_queries.get_board_by_slug(db, form.data["board"])
    except board_queries.BoardNotFound:
        form.error("board", "Choose one of the boards in the list.")
        return None
    reason = votes.board_closed_reason(board)
    if reason:
        form.error("board", reason)
    return board


async def list_filters(db: Database, query: ListQuery) -> dict[str, Any]:
    """The filters of `list_ideas` for a parsed list query; BadListQuery names a member or tag that is not."""
    filters: dict[str, Any] = {"sort": query.sort, "after": query.after, "status": query.status}
    if query.author:
        author = await get_user_by_username(db, query.author.lower())
        if author is None:
            raise BadListQuery(f"There is no member called {query.author[:40]!r}.")
        filters["author_id"] = author["id"]
    if query.tag:
        filters["tag_id"] = await tagging.get_tag_id(db, query.tag)
        if filters["tag_id"] is None:
            raise BadListQuery(f"There is no tag {query.tag[:40]!r}.")
    return filters


SEARCH_PAGE_SIZE = 20
# The first page is ranked on its own (a narrow window of the newest matches: quick); the later
# pages are cut from one wider ranking, without what the first page showed, so that no page
# repeats or skips another's. Past the best 60, one more word narrows a search better than
# another page.
SEARCH_PAGES = 3
SEARCH_SCOPES = ("ideas", "discussions")


_PAGE = re.compile(r"[1-9][0-9]?")


class BadSearch(ValueError):
    pass


def parse_search_page(params: Mapping[str, str]) -> int:
    """The page of results asked for: 1 when not given; BadSearch says what is wrong."""
    page = params.get("page") or "1"
    if not _PAGE.fullmatch(page) or int(page) > SEARCH_PAGES:
        raise BadSearch(f"page is a whole number from 1 to {SEARCH_PAGES}; these are the best results there are.")
    return int(page)


@dataclass(frozen=True)
class Found:
    ideas: list[Any]
    threads: list[Any]
    more_ideas: bool
    more_threads: bool


async def find(
    db: Database,
    text: str,
    *,
    may_see_hidden: bool,
    page: int = 1,
    idea_count: int = SEARCH_PAGE_SIZE,
    thread_count: int = SEARCH_PAGE_SIZE,
    summary: bool = False,
    viewer_id: int | None = None,
) -> Found:
    """Page `page` of `idea_count` ideas and of `thread_count` discussion threads (0: none)
    matching `text`, best first, as the search page and the API list them; `summary` and
    `viewer_id` as for queries.ideas_by_ids. Hidden ones are left out before the pages are cut
    for those who may not see them."""

    async def ideas_ranked(limit: int) -> list[int]:
        return await search.rank_ideas(db, text, limit=limit)

    async def idea_rows(ids: list[int]) -> list[Any]:
        return await queries.ideas_by_ids(db, ids, summary=summary, viewer_id=viewer_id)

    async def threads_ranked(limit: int) -> list[int]:
        return await discussion_search.rank_threads(db, text, limit=limit)

    async def thread_rows(ids: list[int]) -> list[Any]:
        found = await discussion_queries.threads_by_ids(db, ids)
        return [found[thread_id] for thread_id in ids if thread_id in found]

    ideas, more_ideas = await _page_of(ideas_ranked, idea_rows, page, idea_count, may_see_hidden)
    threads, more_threads = await _page_of(threads_ranked, thread_rows, page, thread_count, may_see_hidden)
    return Found(ideas, threads, more_ideas, more_threads)


Ranked = Callable[[int], Awaitable[list[int]]]
Rows = Callable[[list[int]], Awaitable[list[Any]]]


async def _page_of(ranked: Ranked, rows: Rows, page: int, size: int, may_see_hidden: bool) -> tuple[list[Any], bool]:
    """The rows on page `page` of `size` each (none for size 0), and whether any come after them;
    `ranked(limit)` gives the best `limit` ids, `rows(ids)` their rows."""
    if not size:
        return [], False
    first = await _first_page(ranked, rows, size, may_see_hidden)
    if page == 1:
        return first[:size], len(first) > size
    seen = {row["id"] for row in first[:size]}
    later = [row_id for row_id in await ranked(SEARCH_PAGES * size + 1) if row_id not in seen]
    end = (page - 1) * size
    later_rows = await _shown(later, rows, end + 1, may_see_hidden)
    return later_rows[end - size : end], len(later_rows) > end


async def _first_page(ranked: Ranked, rows: Rows, size: int, may_see_hidden: bool) -> list[Any]:
    """The rows of the first page and one more (if there is one), from the narrow ranking, and
    from the wider one where hidden or deleted ones took places in it."""
    narrow = await ranked(size + 1)
    first = await _shown(narrow, rows, size + 1, may_see_hidden)
    if len(first) <= size and len(narrow) > size:
        looked_at = set(narrow)
        wider = [row_id for row_id in await ranked(SEARCH_PAGES * size + 1) if row_id not in looked_at]
        first += await _shown(wider, rows, size + 1 - len(first), may_see_hidden)
    return first


async def _shown(ranked: list[int], rows: Rows, needed: int, may_see_hidden: bool) -> list[Any]:
    """The rows of the first `needed` ids of `ranked` that may be shown: a hidden idea's or thread's
    words must not be findable by those who cannot read it, nor its place counted."""
    shown: list[Any] = []
    checked = 0
    while len(shown) < needed and checked < len(ranked):  # hidden ones are few: mostly one read
        batch = ranked[checked : checked + needed - len(shown)]
        shown += [row for row in await rows(batch) if may_see_hidden or row["hidden_at"] is None]
        checked += len(batch)
    return shown
