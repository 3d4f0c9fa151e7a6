"""What the idea and board endpoints (pages and API) share: authorization, look-ups, and the checks
of an idea's board and a list's filters that need the database."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request

from ideas import board_queries, queries, search, tagging
from ideas.discussions import queries as discussion_queries
from ideas.discussions import search as discussion_search
from ideas.forms import BadListQuery, ListQuery
from portal.accounts.queries import get_user_by_username
from portal.db import Database, utcnow
from portal.forms import Form


def require_maintainer(request: Request) -> None:
    if not request.user.is_authenticated or not request.user.is_maintainer:
        raise HTTPException(403, "Only maintainers can do this.")


async def get_board_or_404(request: Request, slug: str) -> Any:
    try:
        return await board_queries.get_board_by_slug(request.app.state.db, slug)
    except board_queries.BoardNotFound:
        raise HTTPException(404, "There is no board at that address.") from None


def follow_choice(formdata: Any) -> bool:
    choice = formdata.get("follow")
    if choice not in ("0", "1"):
        raise HTTPException(400, "Say follow=1 to follow or follow=0 to stop.")
    return choice == "1"


def may_edit(request: Request, author_id: int | None, created_at: Any) -> bool:
    """Whether this person may edit: the author within the edit window, or a maintainer at any time."""
    user = request.user
    if not user.is_authenticated:
        return False
    window = timedelta(minutes=request.app.state.settings.edit_window_minutes)
    return (user.id == author_id and utcnow() - created_at <= window) or user.is_maintainer


async def board_for_new_idea(db: Database, form: Form) -> Any | None:
    """The board a new idea goes to, or None with an error on the form's `board` field."""
    try:
        board = await board_queries.get_board_by_slug(db, form.data["board"])
    except board_queries.BoardNotFound:
        form.error("board", "Choose one of the boards in the list.")
        return None
    reason = queries.board_closed_reason(board)
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
# The best 200: past them, one more word narrows a search better than another page.
SEARCH_PAGES = 10
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
    """Page `page` of the ideas (`idea_count` a page) and the discussion threads (`thread_count`
    a page; 0: none) matching `text`, best first, as the search page and the API list them;
    `summary` and `viewer_id` as for queries.ideas_by_ids. A hidden idea or thread is left out
    of its page for those who may not see it (its page then shows one fewer)."""
    idea_ids, more_ideas = [], False
    if idea_count:
        ranked = await search.rank_ideas(db, text, limit=page * idea_count + 1)
        idea_ids, more_ideas = _page_of(ranked, page, idea_count)
    ideas = await queries.ideas_by_ids(db, idea_ids, summary=summary, viewer_id=viewer_id)
    thread_ids, more_threads = [], False
    if thread_count:
        ranked = await discussion_search.rank_threads(db, text, limit=page * thread_count + 1)
        thread_ids, more_threads = _page_of(ranked, page, thread_count)
    found = await discussion_queries.threads_by_ids(db, thread_ids)
    threads = [found[thread_id] for thread_id in thread_ids if thread_id in found]
    if not may_see_hidden:
        # A hidden idea's or thread's words must not be findable by those who cannot read it.
        ideas = [row for row in ideas if row["hidden_at"] is None]
        threads = [row for row in threads if row["hidden_at"] is None]
    return Found(ideas, threads, more_ideas, more_threads)


def _page_of(ranked: list[int], page: int, size: int) -> tuple[list[int], bool]:
    """The ids on page `page` of `size` each, and whether any come after them."""
    end = page * size
    return ranked[end - size : end], len(ranked) > end
