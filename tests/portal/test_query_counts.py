"""No page issues more statements when it shows more items (no N+1)."""

import pytest

from portal.db import Database


@pytest.fixture
def statements(monkeypatch):
    """Counts every statement that goes through portal's database layer."""
    counter = {"n": 0}
    for name in ("fetch_all", "fetch_one", "fetch_val", "execute"):
        original = getattr(Database, name)

        def counting(original=original):
            async def run(self, *args, **kwargs):
                counter["n"] += 1
                return await original(self, *args, **kwargs)

            return run

        monkeypatch.setattr(Database, name, counting())
    return counter


async def test_each_page_issues_the_same_number_of_statements_for_2_or_15_items(person, statements):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    made: list[int] = []

    async def statements_for(path: str) -> int:
        statements["n"] = 0
        response = await linus.get(path)
        assert response.status_code == 200, path
        return statements["n"]

    counts = {}
    for size in (2, 15):
        while len(made) < size:
            idea_id = await linus.submit_idea(f"Searchable idea number {len(made)}")
            made.append(idea_id)
            await linus.comment(idea_id, "searchable comment")
            await grace.comment(idea_id, "official searchable answer")
            await grace.post(f"/ideas/{idea_id}/tags", {"tags": "one, two"})
            await grace.post(f"/ideas/{idea_id}/status", {"status": "planned", "note": "ok"})
            await linus.post(f"/ideas/{idea_id}/react", {"reaction": "heart", "on": "1"})
            await linus.vote(idea_id)
        for n in range(size):
            await linus.comment(made[0], f"more {n}")
        paths = [
            "/",
            "/?sort=trending",
            "/boards/general",
            f"/ideas/{made[0]}",
            "/search?q=searchable",
            "/notifications",
            "/settings/notifications",
            "/boards",
        ]
        counts[size] = {path: await statements_for(path) for path in paths}
    assert counts[2] == counts[15]
