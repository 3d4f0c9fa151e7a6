"""Statuses in the open: only maintainers change them, always with a public note in the timeline."""

import re

import sqlalchemy as sa

from ideas.tables import idea_events, ideas
from tests.pages import one, parsed, shown, texts, values


async def test_a_maintainer_changes_a_status_with_a_public_note_everyone_reads(person, visitor, db):
    linus = await person("linus")
    grace = await person("grace", role="maintainer")
    idea_id = await linus.submit_idea("Export reports as CSV")
    response = await grace.post(
        f"/ideas/{idea_id}/status", {"status": "planned", "note": "Next release, **per team** first."}
    )
    assert response.status_code == 303 and response.headers["location"] == f"/ideas/{idea_id}#timeline"
    await grace.post(f"/ideas/{idea_id}/status", {"status": "in_progress", "note": "Started."})

    page = parsed(await visitor.get(f"/ideas/{idea_id}"))
    timeline = one(page, "#timeline")
    said = " ".join(shown(timeline).split())
    assert re.search(r"Grace.*moved this from Open to Planned", said)
    assert texts(timeline, ".status.status-planned") == ["Planned"] and "per team" in texts(timeline, "strong")
    assert said.index("Planned") < said.index("Started.")
    assert texts(one(page, "article.idea"), "span.status.status-in_progress") == ["In progress"]
    assert "In progress" in shown(await visitor.get("/?status=in_progress"))
    assert "Export reports" not in shown(await visitor.get("/?status=open"))


async def test_only_maintainers_change_statuses(person, visitor, db):
    linus = await person("linus")
    ada = await person("ada", founder=True)  # a founder without a maintainer role is a member
    idea_id = await linus.submit_idea("Dark mode")
    for someone in (linus, ada, visitor):
        response = await someone.post(f"/ideas/{idea_id}/status", {"status": "declined", "note": "No."})
        assert response.status_code == 403
    assert "Change the status" not in shown(await linus.get(f"/ideas/{idea_id}"))
    assert await db.fetch_val(sa.select(ideas.c.status).where(ideas.c.id == idea_id)) == "open"
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(idea_events)) == 0


async def test_a_status_change_without_a_note_or_to_a_bad_status_changes_nothing(person, db):
    linus = await person("linus")
    grace = await person("grace", role="maintainer")
    idea_id = await linus.submit_idea("Dark mode")
    no_note = await grace.post(f"/ideas/{idea_id}/status", {"status": "declined", "note": "  "})
    assert no_note.status_code == 400 and "A public note is required" in shown(no_note)
    assert values(no_note)["status"] == "declined"
    bogus = await grace.post(f"/ideas/{idea_id}/status", {"status": "vanished", "note": "Gone"})
    assert bogus.status_code == 400 and "Choose one of the statuses" in shown(bogus)
    same = await grace.post(f"/ideas/{idea_id}/status", {"status": "open", "note": "Still open"})
    assert same.status_code == 400 and "has that status already" in shown(same)
    missing = await grace.post("/ideas/987654/status", {"status": "planned", "note": "x"})
    assert missing.status_code == 404
    assert await db.fetch_val(sa.select(ideas.c.status).where(ideas.c.id == idea_id)) == "open"
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(idea_events)) == 0


async def test_a_declined_idea_takes_no_more_votes(person, db):
    linus = await person("linus")
    grace = await person("grace", role="maintainer")
    idea_id = await linus.submit_idea("Rewrite it in another language")
    await linus.vote(idea_id)
    await grace.post(f"/ideas/{idea_id}/status", {"status": "declined", "note": "Not this year."})
    refused = await grace.vote(idea_id)
    assert refused.status_code == 409 and "This idea is declined" in shown(refused)
    assert (await linus.vote(idea_id, on=False)).status_code == 409
    assert await db.fetch_val(sa.select(ideas.c.vote_count).where(ideas.c.id == idea_id)) == 1
    by_script = await grace.vote(idea_id, headers={"accept": "application/json"})
    assert by_script.status_code == 409 and "declined" in by_script.json()["message"]
