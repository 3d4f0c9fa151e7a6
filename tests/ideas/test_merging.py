"""A maintainer merges a duplicate into the original idea."""

import sqlalchemy as sa

from ideas.tables import comments, idea_events, ideas, votes
from tests.pages import links, shown, tree


async def counts(db, idea_id):
    row = await db.fetch_one(
        sa.select(ideas.c.vote_count, ideas.c.comment_count, ideas.c.status, ideas.c.merged_into_id).where(
            ideas.c.id == idea_id
        )
    )
    rows = await db.fetch_val(sa.select(sa.func.count()).select_from(votes).where(votes.c.idea_id == idea_id))
    return dict(row._mapping) | {"vote_rows": rows}


async def test_merging_moves_votes_once_per_member_and_keeps_comments_readable(person, visitor, db):
    grace = await person("grace", role="maintainer")
    linus, margaret, alan = [await person(name) for name in ("linus", "margaret", "alan")]
    original = await linus.submit_idea("Export reports as CSV")
    duplicate = await margaret.submit_idea("CSV export please")
    for someone in (linus, alan):
        await someone.vote(original)
    for someone in (margaret, alan):  # alan voted for both
        await someone.vote(duplicate)
    await margaret.comment(duplicate, "Weekly would be enough for us.")

    response = await grace.post(f"/ideas/{duplicate}/merge", {"into": f"#{original}", "merge_note": "Same request."})
    assert response.status_code == 303 and response.headers["location"] == f"/ideas/{original}#timeline"

    target = await counts(db, original)
    assert target["vote_count"] == target["vote_rows"] == 3  # linus, alan, margaret
    assert target["comment_count"] == 1
    merged = await counts(db, duplicate)
    assert merged == {
        "vote_count": 0,
        "comment_count": 0,
        "status": "duplicate",
        "merged_into_id": original,
        "vote_rows": 0,
    }

    page = (await visitor.get(f"/ideas/{original}")).text
    assert "Weekly would be enough for us." in shown(page)
    assert [item for item in tree(page).css("#timeline li") if "merged" in item.text() and item.css("a")]
    assert "CSV export please" in shown(page) and "Same request." in shown(page)
    dup_page = (await visitor.get(f"/ideas/{duplicate}")).text
    assert "This idea was merged into" in shown(dup_page) and f"/ideas/{original}" in links(dup_page)
    assert "Duplicate" in shown(dup_page)
    assert (await alan.vote(duplicate)).status_code == 409
    search = (await visitor.get("/search?q=weekly")).text
    assert "Export reports as CSV" in shown(search)


async def test_bad_merges_are_refused_with_a_reason_and_change_nothing(person, db):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    first = await linus.submit_idea("First idea here")
    second = await linus.submit_idea("Second idea here")
    await linus.vote(second)
    cases = [
        ({"into": str(second), "merge_note": ""}, "A public note is required"),
        ({"into": "next door", "merge_note": "x"}, "or its address"),
        ({"into": str(first), "merge_note": "x"}, "cannot be merged into itself"),
        ({"into": "424242", "merge_note": "x"}, "There is no idea #424242"),
    ]
    for values, message in cases:
        response = await grace.post(f"/ideas/{first}/merge", values)
        assert response.status_code == 400 and message in shown(response), message
    assert (await linus.post(f"/ideas/{first}/merge", {"into": str(second), "merge_note": "x"})).status_code == 403

    ok = await grace.post(f"/ideas/{first}/merge", {"into": f"http://testserver/ideas/{second}", "merge_note": "Dup."})
    assert ok.status_code == 303
    again = await grace.post(f"/ideas/{first}/merge", {"into": str(second), "merge_note": "Again"})
    assert again.status_code == 400 and "merged already" in shown(again)
    third = await linus.submit_idea("Third idea here")
    into_duplicate = await grace.post(f"/ideas/{third}/merge", {"into": str(first), "merge_note": "x"})
    assert into_duplicate.status_code == 400 and "is itself a duplicate" in shown(into_duplicate)
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(idea_events)) == 2
    assert (await counts(db, second))["vote_count"] == 1
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(comments)) == 0
