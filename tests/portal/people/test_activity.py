"""The home activity feed and the welcome page."""

from datetime import timedelta

import sqlalchemy as sa

from ideas.tables import comments, idea_events, ideas
from portal.db import utcnow
from portal.people.tables import profiles
from tests.pages import links, shown, texts, tree


def items_in(page) -> list[str]:
    """What each item of the activity feed says, its parts one space apart."""
    return [" ".join(item.text(separator=" ").split()) for item in tree(page).css("li.activity")]


async def visit_marks(db, user_id: int) -> tuple:
    row = await db.fetch_one(
        sa.select(profiles.c.last_seen_at, profiles.c.previous_seen_at).where(profiles.c.user_id == user_id)
    )
    return row["last_seen_at"], row["previous_seen_at"]


async def test_linus_sees_what_happened_on_the_board_he_follows_and_what_is_new(person, db):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    margaret = await person("margaret")
    assert (await linus.post("/boards/general/follow", {"follow": "1"})).status_code == 303
    dark = await margaret.submit_idea("Dark mode for the dashboard")
    await grace.comment(dark, "We like this one.")
    await grace.post(f"/ideas/{dark}/status", {"status": "planned", "note": "Next release."})
    muted = await margaret.submit_idea("An idea Linus does not care about")
    await linus.post(f"/ideas/{muted}/follow", {"follow": "0"})
    await margaret.comment(muted, "Nobody told Linus about this comment.")
    await linus.comment(dark, "My own comment is not news to me.")

    first = await linus.get("/activity")
    assert first.status_code == 200
    items = items_in(first)
    assert items == [
        "Grace maintainer moved to Planned Dark mode for the dashboard · just now",
        "Grace maintainer commented on Dark mode for the dashboard · just now We like this one.",
        "Margaret shared a new idea Dark mode for the dashboard · just now",
    ]
    assert "new" not in texts(first, "li.activity .badge")  # a first visit marks nothing

    # A second look within minutes writes nothing.
    seen = await visit_marks(db, linus.id)
    assert seen[0] is not None and seen[1] is None
    await linus.get("/activity")
    assert await visit_marks(db, linus.id) == seen

    # Linus comes back after a while: what happened since is marked new, the rest is not.
    an_hour_ago = utcnow() - timedelta(hours=1)
    await db.execute(profiles.update().where(profiles.c.user_id == linus.id).values(last_seen_at=an_hour_ago))
    two_hours_ago = utcnow() - timedelta(hours=2)
    for table in (ideas, comments, idea_events):
        await db.execute(table.update().values(created_at=two_hours_ago))
    await grace.comment(dark, "Started on it today.")
    back = await linus.get("/activity")
    marked = ["unread" in item.attributes["class"].split() for item in tree(back).css("li.activity")]
    assert marked == [True, False, False, False]
    assert "Started on it today." in items_in(back)[0]
    assert "since your last visit" in shown(back)


async def test_the_feed_pages_with_a_keyset_cursor(person):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    idea_id = await grace.submit_idea("Keyboard shortcuts for common actions")
    await linus.post(f"/ideas/{idea_id}/follow", {"follow": "1"})
    for n in range(34):
        await grace.comment(idea_id, f"Progress note {n:02d}")
    first = await linus.get("/activity")
    said = items_in(first)
    assert len(said) == 30 and "Progress note 33" in said[0]
    [older] = links(first, 'a[rel="next"]')
    rest = items_in(await linus.get(older))
    # Comments only: a new idea is news on a followed board, not on an idea one follows already.
    assert "Progress note 03" in rest[0] and "Progress note 00" in rest[-1]
    assert len(rest) == 4
    assert (await linus.get("/activity?after=garbage")).status_code == 400
    assert (await linus.get("/activity?after=2026-01-01T00:00:00~idea;drop~1")).status_code == 400


async def test_a_newcomer_signs_up_and_is_welcomed(visitor, person):
    grace = await person("grace", role="maintainer")
    await grace.submit_idea("Faster start-up on large projects")
    await visitor.get("/signup")
    response = await visitor.post(
        "/signup",
        {"username": "hedy", "email": "hedy@example.org", "display_name": "Hedy", "password": "frequency hopping"},
    )
    assert response.headers["location"] == "/welcome"
    welcome = await visitor.get("/welcome")
    assert "Welcome, Hedy" in shown(welcome)
    assert "/code-of-conduct" in links(welcome)
    assert "Faster start-up on large projects" in shown(welcome)
    assert "/settings/profile" in links(welcome) and "/activity" in links(welcome)
