"""The roadmap: drafts, kept publications and their differences, releases, changelog, feeds, figures."""

from datetime import timedelta

import feedparser
import sqlalchemy as sa
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from ideas.tables import ideas
from portal.db import utcnow
from portal.notifications.tables import notifications
from roadmap.tables import releases, roadmap_publications
from tests.pages import actions, has, link_to, one, parsed, shown, texts, values
from tests.roadmap.helpers import draft


async def milestone_id(db, name):
    from roadmap.tables import milestones

    return str(await db.fetch_val(sa.select(milestones.c.id).where(milestones.c.name == name)))


async def test_two_publications_are_kept_and_their_differences_shown(person, visitor, db):
    grace = await person("grace", role="maintainer")
    follower = await person("follower")
    await follower.post("/roadmap/follow", {"follow": "1"})
    linus = await person("linus")
    dark, csv, sso, api = [
        await linus.submit_idea(t) for t in ("Dark mode", "CSV export", "Single sign-on", "Plugin API")
    ]
    await grace.post("/milestones", {"name": "Spring", "target_date": "2027-03-01"})
    await grace.post("/milestones", {"name": "Summer", "target_date": "2027-06-01"})
    spring, summer = await milestone_id(db, "Spring"), await milestone_id(db, "Summer")
    await draft(grace, dark, "planned", 1, spring, "First up")
    await draft(grace, csv, "planned", 2)
    await draft(grace, sso, "in_progress", 1)
    first = await grace.post("/roadmap/publish", {"summary": "Our first roadmap."})
    assert first.status_code == 303

    await draft(grace, dark, "planned", 1, summer, "First up")  # date changed
    await draft(grace, csv, "in_progress", 2)  # moved
    await grace.post(f"/roadmap/draft/items/{sso}/remove")  # dropped
    await draft(grace, api, "planned", 3)  # added
    second = await grace.post("/roadmap/publish", {"summary": "Spring slips to summer."})
    second_path = second.headers["location"]

    changes = one(await visitor.get(second_path), 'section[aria-labelledby="changes-heading"]')
    listed = texts(changes, "li")
    assert "Added: Plugin API in Planned" in listed and link_to(changes, "Plugin API")
    assert "Dropped: Single sign-on (was in In progress)" in listed and link_to(changes, "Single sign-on")
    assert "Moved: CSV export from Planned #2 to In progress #1" in listed
    assert "Date changed: Dark mode from Spring (2027-03-01) to Summer (2027-06-01)" in listed
    first_id = second_path.rsplit("/", 1)[1]
    older = (await visitor.get(f"/roadmap/publications/{int(first_id) - 1}")).text
    assert "The first publication" in shown(older) and "Single sign-on" in shown(older)

    roadmap = parsed(await visitor.get("/roadmap"))
    planned = shown(roadmap, 'section[aria-labelledby="column-planned"]')
    assert planned.index("Dark mode") < planned.index("Plugin API") and "Summer" in planned
    assert "Spring slips to summer." in shown(roadmap)
    assert "published the roadmap" in shown(await follower.get("/notifications"))
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(roadmap_publications)) == 2


async def test_the_changes_between_publications_count_places_from_one(person, visitor):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    dark, csv, sso = [await linus.submit_idea(t) for t in ("Dark mode", "CSV export", "Single sign-on")]
    await draft(grace, dark, "planned")  # positions left at 0, as the form offers
    await draft(grace, csv, "planned")
    await grace.post("/roadmap/publish", {"summary": "First."})
    await draft(grace, dark, "in_progress")
    await draft(grace, sso, "planned", 5)  # added below CSV export: it moves nothing
    second = await grace.post("/roadmap/publish", {"summary": "Second."})

    page = HTMLParser((await visitor.get(second.headers["location"])).text)
    moved = [node.text(strip=True) for node in page.css("li.change-moved")]
    assert moved == ["Moved: Dark mode from Planned #1 to In progress #1"]


async def test_bad_roadmap_and_release_input_changes_nothing(person, db):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    empty = await grace.post("/roadmap/publish", {"summary": "Nothing yet"})
    assert empty.status_code == 400 and "The draft is empty" in shown(empty)
    bad_date = await grace.post("/milestones", {"name": "Autumn", "target_date": "next autumn"})
    assert bad_date.status_code == 400 and "must be a date like 2026-12-31" in shown(bad_date)
    assert "Autumn" in values(bad_date).values()
    unknown = await grace.post("/roadmap/draft/items", {"idea": "#4242", "column": "planned"})
    assert unknown.status_code == 400 and "There is no idea #4242" in shown(unknown)
    idea_id = await linus.submit_idea("Dark mode")
    release = {"version": "v1.0", "released_on": "2027-01-15", "notes": "First!", "ideas": f"#{idea_id}"}
    assert (await grace.post("/releases/new", release)).status_code == 303
    again = await grace.post("/releases/new", release | {"notes": "Again"})
    assert again.status_code == 400 and "A release has that version already" in shown(again)
    wrong = await grace.post("/releases/new", release | {"version": "v2", "released_on": "soon", "ideas": "abc"})
    assert "Release date must be a date" in shown(wrong) and "is not an idea number" in shown(wrong)
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(releases)) == 1
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(roadmap_publications)) == 0
    for path in ("/roadmap/draft", "/releases/new"):
        assert (await linus.get(path)).status_code == 403
    assert (await linus.post("/roadmap/publish", {"summary": "mine"})).status_code == 403


async def test_shipping_a_release_marks_ideas_shipped_tells_followers_and_voters_and_fills_the_changelog(
    person, visitor, db
):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    voter = await person("voter")
    idea_id = await linus.submit_idea("Dark mode")
    other = await linus.submit_idea("CSV export")
    await voter.vote(idea_id)
    await voter.post(f"/ideas/{idea_id}/follow", {"follow": "0"})  # a voter hears of a release anyway
    created = await grace.post(
        "/releases/new",
        {"version": "v2.3.0", "released_on": "2027-02-01", "notes": "**Darker.**", "ideas": f"{idea_id}, #{other}"},
    )
    release_path = created.headers["location"]
    assert "v2.3.0" not in shown(await visitor.get("/changelog"))  # a draft is not public
    assert (await visitor.get(release_path)).status_code == 404

    shipped = await grace.post(f"{release_path}/ship")
    assert shipped.status_code == 303
    statuses = {
        row["status"] for row in await db.fetch_all(sa.select(ideas.c.status).where(ideas.c.id.in_([idea_id, other])))
    }
    assert statuses == {"shipped"}
    for someone in (linus, voter):
        assert "shipped “Dark mode” in v2.3.0" in shown(await someone.get("/notifications"))
    kinds = await db.fetch_all(sa.select(notifications.c.kind).where(notifications.c.user_id == voter.id))
    assert [row["kind"] for row in kinds] == ["release"]
    changelog = parsed(await visitor.get("/changelog"))
    assert "v2.3.0" in shown(changelog) and "Darker." in texts(changelog, "strong")
    assert "Dark mode · 1 vote" in " ".join(shown(changelog).split()) and link_to(changelog, "Dark mode")
    assert (await grace.post(f"{release_path}/ship")).status_code == 409
    timeline = (await visitor.get(f"/ideas/{idea_id}")).text
    assert "Shipped in v2.3.0." in shown(timeline)


async def test_the_feeds_are_valid_atom_with_the_entries(person, visitor, db):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    idea_id = await linus.submit_idea("Dark <mode> & more")
    await grace.post(f"/ideas/{idea_id}/status", {"status": "planned", "note": "Next <b>release</b>."})
    await draft(grace, idea_id, "planned")
    await grace.post("/roadmap/publish", {"summary": "The plan & more."})
    created = await grace.post("/releases/new", {"version": "v1", "released_on": "2027-01-01", "ideas": str(idea_id)})
    await grace.post(f"{created.headers['location']}/ship")

    for path, titles in (
        ("/changelog.atom", ["v1"]),
        ("/roadmap/publications.atom", ["Roadmap publication #1"]),
        (f"/ideas/{idea_id}/timeline.atom", ["Open → Planned", "Planned → Shipped"]),
    ):
        response = await visitor.get(path)
        assert response.headers["content-type"].startswith("application/atom+xml")
        feed = feedparser.parse(response.text)
        assert not feed.bozo, (path, feed.get("bozo_exception"))
        assert feed.version == "atom10"
        assert sorted(entry.title for entry in feed.entries) == sorted(titles)
        assert all(entry.id.startswith("http://testserver/") and entry.updated for entry in feed.entries)
    timeline = feedparser.parse((await visitor.get(f"/ideas/{idea_id}/timeline.atom")).text)
    assert timeline.feed.title == "Dark <mode> & more: history"
    assert "Next &lt;b&gt;release&lt;/b&gt;." in timeline.entries[0].summary
    assert (await visitor.get("/ideas/98765/timeline.atom")).status_code == 404


async def test_responsiveness_figures_match_constructed_timelines(person, visitor, db):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    now = utcnow()
    waits_hours = [1, 3, 10, None]  # the median of 1, 3 and 10 hours is 3 hours; one idea still waits
    made = []
    for n, hours in enumerate(waits_hours):
        idea_id = await linus.submit_idea(f"Idea waiting {n}")
        created = now - timedelta(days=5)
        responded = created + timedelta(hours=hours) if hours else None
        await db.execute(
            ideas.update().where(ideas.c.id == idea_id).values(created_at=created, first_response_at=responded)
        )
        made.append(idea_id)
    old = await linus.submit_idea("An idea from long ago")
    await db.execute(
        ideas.update()
        .where(ideas.c.id == old)
        .values(created_at=now - timedelta(days=200), first_response_at=now - timedelta(days=100))
    )
    figures = one(await visitor.get("/roadmap"), "section.figures")
    said = " ".join(shown(figures).split())
    assert "3 hours over 3 ideas; 1 still waiting" in said and "3 hours" in texts(figures, "strong")
    assert "Of the 5 most-voted open ideas, 80% have a maintainer response" in said and "80%" in texts(
        figures, "strong"
    )

    answered = await linus.submit_idea("Answered right now")
    await grace.comment(answered, "Thanks, we will look.")  # an official response
    stored = await db.fetch_one(sa.select(ideas.c.created_at, ideas.c.first_response_at).where(ideas.c.id == answered))
    assert stored["first_response_at"] >= stored["created_at"]
    assert "First maintainer response after" in shown(await visitor.get(f"/ideas/{answered}"))
    assert "Waiting 5 days for a first maintainer response" in shown(await visitor.get(f"/ideas/{made[3]}"))


async def test_founders_and_maintainers_ideas_rank_by_votes_like_everyone_elses(person, visitor):
    ada = await person("ada", role="admin", founder=True)
    linus = await person("linus")
    voters = [await person(f"v{n}") for n in range(2)]
    founders = await ada.submit_idea("The founder's pet idea")
    members = await linus.submit_idea("A member's popular idea")
    for voter in voters:
        await voter.vote(members)
    for idea_id in (founders, members):
        await ada.post(f"/ideas/{idea_id}/status", {"status": "planned", "note": "Planned."})
    planned = shown(await visitor.get("/roadmap"), 'section[aria-labelledby="column-planned"]')
    assert planned.index("A member's popular idea") < planned.index("The founder's pet idea")


async def test_a_milestone_whose_date_moves_shows_as_a_date_change(person, visitor, db):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    idea_id = await linus.submit_idea("Dark mode")
    await grace.post("/milestones", {"name": "Beta", "target_date": "2027-03-01"})
    beta = await milestone_id(db, "Beta")
    await draft(grace, idea_id, "planned", 1, beta)
    await grace.post("/roadmap/publish", {"summary": "First."})
    moved = await grace.post(f"/milestones/{beta}", {"name": "Beta", "target_date": "2027-04-15"})
    assert moved.status_code == 303
    bad = await grace.post(f"/milestones/{beta}", {"name": "Beta", "target_date": "someday"})
    assert bad.status_code == 400 and "must be a date" in shown(bad)
    second = await grace.post("/roadmap/publish", {"summary": "Beta moves."})
    page = (await visitor.get(second.headers["location"])).text
    assert "Date changed: Dark mode from Beta (2027-03-01) to Beta (2027-04-15)" in shown(page)


async def test_members_vote_and_comment_from_the_roadmap(person, db):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    idea_id = await linus.submit_idea("Dark mode")
    await grace.post(f"/ideas/{idea_id}/status", {"status": "in_progress", "note": "Started."})
    sent_to = actions(await linus.get("/roadmap"))
    assert f"/ideas/{idea_id}/vote" in sent_to and f"/ideas/{idea_id}/comments" in sent_to
    voted = await linus.post(f"/ideas/{idea_id}/vote", {"vote": "1", "next": "/roadmap"})
    assert voted.headers["location"] == "/roadmap"
    assert has(await linus.get("/roadmap"), '[aria-pressed="true"]')


async def test_the_figures_are_kept_for_ten_minutes_and_an_even_count_takes_the_middle_pair(person, visitor, db):
    from roadmap import queries as roadmap_queries

    linus = await person("linus")
    now = utcnow()
    for n, hours in enumerate([1, 2, 4, 8]):  # median of an even count: (2 + 4) / 2 = 3 hours
        idea_id = await linus.submit_idea(f"Timed idea {n}")
        created = now - timedelta(days=2)
        await db.execute(
            ideas.update()
            .where(ideas.c.id == idea_id)
            .values(created_at=created, first_response_at=created + timedelta(hours=hours))
        )
    figures = await roadmap_queries.responsiveness(db, now=now)
    assert figures["median_response"] == timedelta(hours=3) and figures["answered"] == 4
    await db.execute(ideas.update().values(first_response_at=None))
    kept = await roadmap_queries.responsiveness(db, now=now + timedelta(minutes=5))
    assert kept["median_response"] == timedelta(hours=3)
    later = await roadmap_queries.responsiveness(db, now=now + timedelta(minutes=11))
    assert later["median_response"] is None and later["waiting"] == 4
