"""portal.paging: a page is what was read less the one row more, and the cursor of its last row."""

import sqlalchemy as sa

from portal.paging import Page, by_id, fetch_page, page_of


def test_a_page_read_with_no_row_more_is_the_last_page():
    rows = [{"id": 3}, {"id": 2}]
    assert page_of(rows, 2, by_id) == Page(rows, None)
    assert page_of([], 2, by_id) == Page([], None)


def test_the_row_more_is_not_shown_and_the_last_row_shown_gives_the_cursor():
    rows = [{"id": 3}, {"id": 2}, {"id": 1}]
    assert page_of(rows, 2, by_id) == Page([{"id": 3}, {"id": 2}], 2)
    assert page_of(rows, 2, lambda row: f"x{row['id']}").next_cursor == "x2"


def test_a_list_that_carries_more_than_rows_passes_its_own_page():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class BoardsPage(Page):
        boards: list | None = None

    page = page_of([{"id": 1}, {"id": 0}], 1, by_id, BoardsPage, boards=["a"])
    assert page == BoardsPage([{"id": 1}], 1, ["a"])


async def test_fetch_page_reads_one_row_more_than_a_page():
    seen = []

    class Db:
        async def fetch_all(self, query, values=None):
            seen.append(query)
            return [{"id": 9}, {"id": 8}, {"id": 7}]

    numbers = sa.table("numbers", sa.column("id"))
    page = await fetch_page(Db(), sa.select(numbers.c.id).order_by(numbers.c.id.desc()), 2, by_id)
    assert page == Page([{"id": 9}, {"id": 8}], 8)
    assert str(seen[0].compile(compile_kwargs={"literal_binds": True})).endswith("LIMIT 3")
