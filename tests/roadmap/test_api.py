"""Scripts reading the roadmap's publications and the releases through the API."""

from tests.api_client import api_client, create_token, error_of
from tests.roadmap.helpers import draft


async def test_publications_are_listed_newest_first_page_by_page_and_read_one_by_one(app, person):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    dark = await linus.submit_idea("Dark mode")
    await grace.post("/milestones", {"name": "Spring", "target_date": "2027-03-01"})
    await draft(grace, dark, "planned", note="Early spring")
    for n in range(22):
        assert (await grace.post("/roadmap/publish", {"summary": f"Roadmap number {n}"})).status_code == 303

    async with api_client(app) as script:
        first = (await script.get("/api/v1/roadmap/publications")).json()
        second = (await script.get(f"/api/v1/roadmap/publications?after={first['next_cursor']}")).json()
        one = await script.get(f"/api/v1/roadmap/publications/{first['publications'][0]['id']}")
        missing = await script.get("/api/v1/roadmap/publications/999")
        bad_cursor = await script.get("/api/v1/roadmap/publications?after=yesterday")
    summaries = [p["summary"] for p in first["publications"] + second["publications"]]
    assert summaries == [f"Roadmap number {n}" for n in reversed(range(22))]
    assert second["next_cursor"] is None
    item = one.json()["items"][0]
    assert item["idea_id"] == dark and item["column"] == "planned" and item["note"] == "Early spring"
    assert one.json()["publisher"] == "Grace"
    assert missing.status_code == 404 and error_of(missing)["message"]
    assert bad_cursor.status_code == 400 and error_of(bad_cursor)["field"] == "after"


async def test_shipped_releases_are_public_and_drafts_are_for_maintainers(app, person):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    idea_id = await linus.submit_idea("Dark mode")
    shipped = await grace.post(
        "/releases/new",
        {"version": "v1.0", "released_on": "2027-01-15", "notes": "**Darker.**", "ideas": f"#{idea_id}"},
    )
    await grace.post(shipped.headers["location"] + "/ship")
    planned = await grace.post("/releases/new", {"version": "v1.1", "released_on": "2027-03-01", "notes": "Soon"})
    draft_id = int(planned.headers["location"].rsplit("/", 1)[1])

    async with api_client(app, await create_token(linus, scope="read")) as script:
        listed = (await script.get("/api/v1/releases")).json()["releases"]
        hidden = await script.get(f"/api/v1/releases/{draft_id}")
    assert [release["version"] for release in listed] == ["v1.0"]
    assert listed[0]["notes_html"] == "<p><strong>Darker.</strong></p>\n" and listed[0]["released_on"] == "2027-01-15"
    assert [idea["id"] for idea in listed[0]["ideas"]] == [idea_id]
    assert hidden.status_code == 404
    async with api_client(app, await create_token(grace, scope="read")) as script:
        seen = await script.get(f"/api/v1/releases/{draft_id}")
    assert seen.status_code == 200 and seen.json()["shipped_at"] is None
