"""Following ideas and boards, and the notifications followers receive."""

import re

import sqlalchemy as sa

from ideas.tables import comments
from portal.accounts.tables import users
from portal.notifications.tables import notifications
from tests.pages import links, one, shown, texts, tree


async def unread(db, someone) -> tuple[int, int]:
    """The stored unread count and the unread rows, which must agree."""
    stored = await db.fetch_val(sa.select(users.c.unread_notifications).where(users.c.id == someone.id))
    rows = await db.fetch_val(
        sa.select(sa.func.count()).where(notifications.c.user_id == someone.id, notifications.c.read_at.is_(None))
    )
    return stored, rows


async def test_authors_voters_and_commenters_hear_about_comments_responses_and_statuses(person, db):
    linus = await person("linus")
    margaret = await person("margaret")
    alan = await person("alan")
    grace = await person("grace", role="maintainer")
    idea_id = await linus.submit_idea("Dark mode")
    await margaret.vote(idea_id)
    await alan.comment(idea_id, "Yes please")
    await grace.comment(idea_id, "We are looking into it.")
    await grace.post(f"/ideas/{idea_id}/status", {"status": "planned", "note": "Next release."})

    page = (await linus.get("/notifications")).text
    items = [
        node.text()
        for node in tree(page).css("a[href]")
        if re.fullmatch(r"/ideas/\d+(?:#comment-\d+)?", node.attributes["href"])
    ]
    assert items == [
        "Grace moved “Dark mode” to planned",
        "Grace responded on “Dark mode”",
        "Alan commented on “Dark mode”",
    ]
    assert await unread(db, linus) == (3, 3)
    assert await unread(db, margaret) == (3, 3)
    assert await unread(db, alan) == (2, 2)  # not told of their own comment
    assert texts(page, 'a[href="/notifications"] .badge.badge-count')[0].startswith("3")


async def test_unfollowing_stops_notifications_and_votes_do_not_undo_it(person, db):
    linus = await person("linus")
    margaret = await person("margaret")
    idea_id = await linus.submit_idea("Dark mode")
    await margaret.vote(idea_id)
    response = await margaret.post(f"/ideas/{idea_id}/follow", {"follow": "0"})
    assert response.status_code == 303
    await margaret.vote(idea_id, on=False)
    await margaret.vote(idea_id)
    await linus.comment(idea_id, "Any thoughts?")
    assert await unread(db, margaret) == (0, 0)
    follow = one(await margaret.get(f"/ideas/{idea_id}"), f'form[action="/ideas/{idea_id}/follow"] button')
    assert follow.attributes["aria-pressed"] == "false" and follow.text(strip=True) == "Follow this idea"


async def test_anyone_follows_a_board_and_hears_of_new_ideas_and_their_news(person, db):
    alan = await person("alan")
    linus = await person("linus")
    grace = await person("grace", role="maintainer")
    assert (await alan.post("/boards/general/follow", {"follow": "1"})).status_code == 303
    idea_id = await linus.submit_idea("Plugins")
    await grace.post(f"/ideas/{idea_id}/status", {"status": "under_review", "note": "Looking."})
    page = (await alan.get("/notifications")).text
    assert "Grace moved “Plugins” to under review" in shown(page)
    assert "Linus shared a new idea on General: “Plugins”" in shown(page)
    assert await unread(db, alan) == (2, 2)
    await alan.post("/boards/general/follow", {"follow": "0"})
    await linus.comment(idea_id, "Bump")
    assert await unread(db, alan) == (2, 2)


async def test_reading_notifications_keeps_the_count_equal_to_the_unread_rows(person, db):
    linus = await person("linus")
    alan = await person("alan")
    idea_id = await linus.submit_idea("Dark mode")
    for n in range(3):
        await alan.comment(idea_id, f"Comment {n}")
    first = await db.fetch_val(sa.select(sa.func.min(notifications.c.id)).where(notifications.c.user_id == linus.id))
    await linus.post("/notifications/read", {"notification": str(first)})
    await linus.post("/notifications/read", {"notification": str(first)})  # twice is harmless
    assert await unread(db, linus) == (2, 2)
    await linus.post("/notifications/read")
    assert await unread(db, linus) == (0, 0)
    assert "Mark all read" not in shown(await linus.get("/notifications"))
    bad = await linus.post("/notifications/read", {"notification": "x"})
    assert bad.status_code == 400
    other = await alan.post("/notifications/read", {"notification": str(first)})  # not alan's: nothing happens
    assert other.status_code == 303


async def test_a_merge_tells_both_ideas_followers(person, db):
    linus = await person("linus")
    margaret = await person("margaret")
    grace = await person("grace", role="maintainer")
    original = await linus.submit_idea("Export as CSV")
    duplicate = await margaret.submit_idea("CSV export")
    await grace.post(f"/ideas/{duplicate}/merge", {"into": str(original), "merge_note": "Same."})
    for someone in (linus, margaret):
        assert "Grace merged “CSV export” into “Export as CSV”" in shown(await someone.get("/notifications"))
    # margaret now follows the original idea
    await linus.comment(original, "Thanks")
    assert await unread(db, margaret) == (2, 2)


async def test_merging_a_hidden_idea_does_not_quote_its_title(person):
    linus = await person("linus")
    margaret = await person("margaret")
    grace = await person("grace", role="maintainer")
    original = await linus.submit_idea("Export as CSV")
    spam = await margaret.submit_idea("CSV export, cheap pills at spam.example")
    hide = {"kind": "idea", "id": str(spam), "action": "hide", "note": "Spam."}
    assert (await grace.post("/moderation/act", hide)).status_code == 303
    merged = await grace.post(f"/ideas/{spam}/merge", {"into": str(original), "merge_note": "Same wish."})
    assert merged.status_code == 303
    page = (await linus.get("/notifications")).text
    assert "Grace merged a hidden idea into “Export as CSV”" in shown(page) and "spam.example" not in page


async def test_visitors_are_sent_to_sign_in_for_notifications_and_follows(visitor, person):
    linus = await person("linus")
    idea_id = await linus.submit_idea("Dark mode")
    assert (await visitor.get("/notifications")).headers["location"].startswith("/signin")
    assert (await visitor.post(f"/ideas/{idea_id}/follow", {"follow": "1"})).headers["location"].startswith("/signin")
    assert (await visitor.get("/notifications?before=abc")).status_code == 303
    assert (await linus.get("/notifications?before=abc")).status_code == 400
    assert (await linus.post(f"/ideas/{idea_id}/follow", {"follow": "maybe"})).status_code == 400
    assert (await linus.post("/ideas/999999/follow", {"follow": "1"})).status_code == 404


async def test_hiding_an_idea_or_discussion_hides_its_title_in_notifications_until_restored(person, db):
    from tests.ideas.discussions.helpers import start_thread

    alan = await person("alan")
    linus = await person("linus")
    grace = await person("grace", role="maintainer")
    assert (await alan.post("/boards/general/follow", {"follow": "1"})).status_code == 303
    assert (await grace.post("/boards/general/follow", {"follow": "1"})).status_code == 303
    spam = await linus.submit_idea("Cheap pills at spam.example")
    kept = await linus.submit_idea("Dark mode")
    thread = await start_thread(linus, "Pills again at spam.example", "Mention @alan to reach them.")

    def items(page) -> list[str]:
        return texts(one(page, "ol.notification-list"), "a[href]")

    before = items((await alan.get("/notifications")).text)
    assert before == [
        "Linus mentioned you in “Pills again at spam.example”",
        "Linus shared a new idea on General: “Dark mode”",
        "Linus shared a new idea on General: “Cheap pills at spam.example”",
    ]
    for kind, target in (("idea", spam), ("thread", thread)):
        hide = {"kind": kind, "id": str(target), "action": "hide", "note": "Spam."}
        assert (await grace.post("/moderation/act", hide)).status_code == 303
    page = (await alan.get("/notifications")).text
    assert "spam.example" not in page
    assert items(page) == [
        "About a discussion a moderator has hidden since",
        "Linus shared a new idea on General: “Dark mode”",
        "About an idea a moderator has hidden since",
    ]
    assert f"/ideas/{spam}" in links(page) and f"/ideas/{kept}" in links(page)
    # The unread count still counts them, and reading them works as before.
    assert await unread(db, alan) == (3, 3)
    # Moderators still read what it was.
    moderator_page = (await grace.get("/notifications")).text
    assert "Cheap pills at spam.example" in shown(moderator_page) and "(hidden from members)" in shown(moderator_page)

    restore = {"kind": "idea", "id": str(spam), "action": "restore", "note": "Not spam after all."}
    assert (await grace.post("/moderation/act", restore)).status_code == 303
    assert (
        items((await alan.get("/notifications")).text)[2]
        == "Linus shared a new idea on General: “Cheap pills at spam.example”"
    )


async def test_each_notification_says_which_idea_and_comment_it_is_about(person, db):
    """What a notification is about comes from the event, not from reading its link."""
    linus, alan = await person("linus"), await person("alan")
    idea_id = await linus.submit_idea("Dark mode")
    await alan.vote(idea_id)
    await alan.comment(idea_id, "Yes please, @linus")
    await linus.comment(idea_id, "Thanks")
    comment_ids = await db.fetch_all(
        sa.select(comments.c.id).where(comments.c.idea_id == idea_id).order_by(comments.c.id)
    )
    about = sa.select(
        notifications.c.user_id,
        notifications.c.kind,
        notifications.c.about_kind,
        notifications.c.about_id,
        notifications.c.post_kind,
        notifications.c.post_id,
    ).order_by(notifications.c.id)
    assert [tuple(row.values()) for row in await db.fetch_all(about)] == [
        (linus.id, "mention", "idea", idea_id, "comment", comment_ids[0]["id"]),
        (alan.id, "comment", "idea", idea_id, "comment", comment_ids[1]["id"]),
    ]
