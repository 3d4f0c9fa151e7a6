"""What the idea and board endpoints (pages and API) share: authorization, look-ups, and the checks
of an idea's board and a list's filters that need the database."""

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


SEARCH_LIMIT = 50
THREAD_SEARCH_LIMIT = 20


async def find(
    db: Database, text: str, *, may_see_hidden: bool, summary: bool = False, viewer_id: int | None = None
) -> tuple[list[Any], list[Any]]:
    """The ideas and the discussion threads matching `text`, best first, as the search page and
    the API list them; `summary` and `viewer_id` as for queries.ideas_by_ids."""
    ranked = await search.rank_ideas(db, text, limit=SEARCH_LIMIT)
    ideas = await queries.ideas_by_ids(db, ranked, summary=summary, viewer_id=viewer_id)
    ranked_threads = await discussion_search.rank_threads(db, text, limit=THREAD_SEARCH_LIMIT)
    found = await discussion_queries.threads_by_ids(db, ranked_threads)
    threads = [found[thread_id] for thread_id in ranked_threads if thread_id in found]
    if not may_see_hidden:
        # A hidden idea's or thread's words must not be findable by those who cannot read it.
        ideas = [row for row in ideas if row["hidden_at"] is None]
        threads = [row for row in threads if row["hidden_at"] is None]
    return ideas, threads
