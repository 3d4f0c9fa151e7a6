"""Finding an expert: the directory ranks members by visible contribution, never by role."""

import sqlalchemy as sa

from portal.accounts.queries import create_user
from portal.people.contribution import record_contribution
from portal.people.tables import profiles
from tests.pages import links, shown


def names_in(page) -> list[str]:
    return [href.removeprefix("/people/") for href in links(page, "h2.member-name > span.person > a[href]")]


async def score_of(db, user_id: int) -> tuple:
    row = await db.fetch_one(sa.select(profiles).where(profiles.c.user_id == user_id))
    return row["ideas_shipped"], row["accepted_answers"], row["linked_commits"], row["contribution_score"]


async def test_shipped_ideas_rank_a_member_above_the_founder_and_unshipping_takes_it_back(person, visitor, db):
    ada = await person("ada", role="admin", founder=True)
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    first = await linus.submit_idea("Dark mode for the dashboard")
    second = await linus.submit_idea("Export reports as CSV")
    founders = await ada.submit_idea("A plugin API for importers")
    for idea_id in (first, second, founders):
        assert (await grace.post(f"/ideas/{idea_id}/status", {"status": "shipped", "note": "Done."})).status_code == 303

    assert await score_of(db, linus.id) == (2, 0, 0, 10)
    assert await score_of(db, ada.id) == (1, 0, 0, 5)
    assert names_in((await visitor.get("/people")).text) == ["linus", "ada", "grace"]

    # Other domains call record_contribution inside their own transactions.
    async with db.transaction():
        await record_contribution(db, grace.id, accepted_answers=3, linked_commits=2)
    assert await score_of(db, grace.id) == (0, 3, 2, 11)
    assert names_in((await visitor.get("/people")).text) == ["grace", "linus", "ada"]

    # Moving an idea back from Shipped, or merging a shipped idea away, takes the point back.
    await grace.post(f"/ideas/{first}/status", {"status": "in_progress", "note": "Reverted: it broke printing."})
    assert await score_of(db, linus.id) == (1, 0, 0, 5)
    await grace.post(f"/ideas/{second}/merge", {"into": str(founders), "merge_note": "Same thing."})
    assert await score_of(db, linus.id) == (0, 0, 0, 0)
    async with db.transaction():
        await record_contribution(db, linus.id, ideas_shipped=-5)  # never below zero
        await record_contribution(db, None, ideas_shipped=1)  # a deleted member's idea: nothing
    assert await score_of(db, linus.id) == (0, 0, 0, 0)
    assert names_in((await visitor.get("/people")).text) == ["grace", "ada", "linus"]


async def test_shipping_a_release_counts_for_each_author(person, db):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    idea_id = await linus.submit_idea("Faster start-up on large projects")
    created = await grace.post(
        "/releases/new", {"version": "v2.0", "released_on": "2027-01-01", "notes": "Big one.", "ideas": str(idea_id)}
    )
    assert created.status_code == 303
    assert (await grace.post(created.headers["location"] + "/ship")).status_code == 303
    assert await score_of(db, linus.id) == (1, 0, 0, 5)


async def test_searching_by_name_expertise_and_availability(person, visitor):
    ada = await person("ada")
    barbara = await person("barbara")
    await person("margaret")
    await ada.post(
        "/settings/profile",
        {"display_name": "Ada Lovelace", "expertise": "Postgres, Rust", "for_hire": "on", "hire_contact": "ada@x.org"},
    )
    await barbara.post("/settings/profile", {"display_name": "Barbara Liskov", "expertise": "postgres"})

    assert names_in((await visitor.get("/people?tag=postgres")).text) == ["barbara", "ada"]
    assert names_in((await visitor.get("/people?tag=Postgres")).text) == ["barbara", "ada"]
    assert names_in((await visitor.get("/people?tag=rust")).text) == ["ada"]
    assert names_in((await visitor.get("/people?hire=1")).text) == ["ada"]
    assert names_in((await visitor.get("/people?q=LISKOV")).text) == ["barbara"]
    assert names_in((await visitor.get("/people?q=marg")).text) == ["margaret"]
    assert names_in((await visitor.get("/people?q=%25")).text) == []  # % is a letter, not a wildcard
    directory = await visitor.get("/people")
    assert "available for hire" in shown(directory) and "postgres (2)" in shown(directory).lower()
    assert (await visitor.get("/people?after=nonsense")).status_code == 400

    # The counts beside the tags move when a member changes theirs.
    await barbara.post("/settings/profile", {"display_name": "Barbara Liskov", "expertise": "Rust, CLU"})
    directory = (await visitor.get("/people")).text.lower()
    assert "postgres (1)" in directory and "rust (2)" in directory and "clu (1)" in directory


async def test_the_directory_pages_with_a_keyset_cursor(app, visitor):
    for n in range(25):
        await create_user(
            app.state.db,
            username=f"member{n:02d}",
            email=f"m{n}@example.org",
            display_name=f"M {n}",
            password_hash=None,
            email_verified=False,
        )
    first = await visitor.get("/people")
    seen = names_in(first.text)
    assert len(seen) == 20 and seen[0] == "member24"
    [older] = links(first, 'a[rel="next"]')
    rest = names_in((await visitor.get(older)).text)
    assert rest == [f"member{n:02d}" for n in range(4, -1, -1)]
