"""One page of a list read by keyset (never OFFSET): its rows and the cursor of the next page.

Every list reads one row more than a page (LIMIT size + 1): that row is not shown, it only says
that another page follows. The cursor comes from the last row shown, in whatever form the list
pages by (an id, "score.id", a sort's own cursor string).

    rows = await db.fetch_all(query.limit(PAGE_SIZE + 1))
    return page_of(rows, PAGE_SIZE, by_id)

or, when the statement is built here: `return await fetch_page(db, query, PAGE_SIZE, by_id)`.
A statement kept compiled (portal.statements) carries its own LIMIT size + 1 and uses page_of().
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    # None on the last page; otherwise what the next page's `after`/`before` parameter takes.
    next_cursor: Any = None


def by_id(row: Any) -> int:
    """The cursor of a list paged by id alone."""
    return row["id"]


def page_of(rows: Sequence[Any], size: int, cursor_of: Callable[[Any], Any], page: type[Page] = Page, **more) -> Page:
    """The page among `rows`, read with LIMIT size + 1; `cursor_of(last row shown)` is the next cursor.

    `page` and `more`: a list that carries more than rows (a subclass of Page with more fields).
    """
    if len(rows) <= size:
        return page(rows, None, **more)
    return page(rows[:size], cursor_of(rows[size - 1]), **more)


async def fetch_page(
    db: Any, query: sa.Select, size: int, cursor_of: Callable[[Any], Any], values: dict | None = None
) -> Page:
    """One page of `query` (ordered, and already past the cursor): reads size + 1 rows."""
    return page_of(await db.fetch_all(query.limit(size + 1), values), size, cursor_of)
