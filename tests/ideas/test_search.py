"""Full-text search over ideas and comments, and similar ideas while typing a new one."""

import re

import pytest
import sqlalchemy as sa

from ideas.tables import ideas


def found(page: str) -> list[str]:
    return re.findall(r'<h2 class="idea-title"><a href="[^"]+">([^<]+)</a>', page)


async def test_search_finds_titles_descriptions_and_comments_best_first(person, visitor):
    linus = await person("linus")
    grace = await person("grace", role="maintainer")
    await linus.submit_idea("Export reports as spreadsheets", "Weekly totals for the finance team.")
    await linus.submit_idea("Dark mode", "Easier on the eyes; our reports team works at night.")
    commented = await linus.submit_idea("Scheduled emails")
    await grace.comment(commented, "We could attach the spreadsheet to each email.")
    await linus.submit_idea("Keyboard shortcuts")

    results = found((await visitor.get("/search?q=spreadsheet")).text)
    assert results == ["Export reports as spreadsheets", "Scheduled emails"]  # title match ranks first
    assert found((await visitor.get("/search?q=exporting")).text) == ["Export reports as spreadsheets"]  # stems
    # Every word must match, in the title, the description or a comment.
    assert found((await visitor.get("/search?q=reports+night")).text) == ["Dark mode"]
    assert "Keyboard shortcuts" not in (await visitor.get("/search?q=spreadsheet")).text
    empty = await visitor.get("/search?q=xylophone")
    assert empty.status_code == 200 and "No idea or comment matches" in empty.text


async def test_a_new_comment_is_searchable_at_once(person, visitor):
    linus = await person("linus")
    idea_id = await linus.submit_idea("Plugins")
    assert found((await visitor.get("/search?q=webassembly")).text) == []
    await linus.comment(idea_id, "WebAssembly would make plugins portable.")
    assert found((await visitor.get("/search?q=webassembly")).text) == ["Plugins"]


@pytest.mark.parametrize(
    "text",
    [
        "foo_bar baz",
        "1.5 v2:*",
        '"',
        "*",
        "NEAR(a b)",
        "a AND",
        "-x",
        "title:x",
        "a & | ! b",
        "(((",
        "é ü 中文",
        "'; DROP TABLE ideas; --",
        "x" * 300,
    ],
)
async def test_any_text_typed_into_search_is_answered_not_a_500(text, person, visitor, db):
    linus = await person("linus")
    await linus.submit_idea("Something searchable")
    response = await visitor.get("/search", params={"q": text})
    assert response.status_code == 200
    similar = await visitor.get("/ideas/similar", params={"title": text})
    assert similar.status_code == 200 and "ideas" in similar.json()
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(ideas)) == 1


async def test_similar_ideas_appear_while_typing(person, visitor):
    linus = await person("linus")
    first = await linus.submit_idea("Export reports as CSV")
    await linus.submit_idea("Dark mode")
    response = await visitor.get("/ideas/similar", params={"title": "exporting the rep"})
    assert [idea["id"] for idea in response.json()["ideas"]] == [first]
    assert response.json()["ideas"][0]["url"] == f"/ideas/{first}"
    assert (await visitor.get("/ideas/similar", params={"title": "the and of"})).json() == {"ideas": []}


async def test_without_javascript_similar_ideas_appear_on_a_confirmation_step(person, db):
    linus = await person("linus")
    margaret = await person("margaret")
    await linus.submit_idea("Export reports as CSV")
    first_try = await margaret.post("/ideas/new", {"title": "CSV export of reports", "body": "Please!"})
    assert first_try.status_code == 200
    assert "Is your idea one of these?" in first_try.text and "Export reports as CSV" in first_try.text
    assert 'value="CSV export of reports"' in first_try.text and "Please!</textarea>" in first_try.text
    assert 'name="confirmed" value="1"' in first_try.text
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(ideas)) == 1

    confirmed = await margaret.post(
        "/ideas/new", {"title": "CSV export of reports", "body": "Please!", "confirmed": "1"}
    )
    assert confirmed.status_code == 303
    unrelated = await margaret.post("/ideas/new", {"title": "Completely unrelated wish"})
    assert unrelated.status_code == 303  # nothing similar: no extra step
