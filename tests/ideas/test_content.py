"""Reactions, tags, and editing and deleting ideas and comments."""

from datetime import timedelta

import sqlalchemy as sa

from ideas.tables import comment_reactions, comments, idea_events, idea_reactions, ideas
from tests.pages import link_to, parsed, shown, texts, tree, values


async def test_members_react_once_per_kind_and_counts_follow(person, visitor, db):
    linus = await person("linus")
    margaret = await person("margaret")
    idea_id = await linus.submit_idea("Dark mode")
    for someone in (linus, margaret):
        response = await someone.post(f"/ideas/{idea_id}/react", {"reaction": "heart", "on": "1"})
        assert response.status_code == 303 and response.headers["location"] == f"/ideas/{idea_id}#reactions"
    await margaret.post(f"/ideas/{idea_id}/react", {"reaction": "heart", "on": "1"})  # again: no change
    await margaret.post(f"/ideas/{idea_id}/react", {"reaction": "rocket", "on": "1"})
    stored = await db.fetch_val(sa.select(ideas.c.reaction_counts).where(ideas.c.id == idea_id))
    assert stored == {"heart": 2, "rocket": 1}
    rows = await db.fetch_val(sa.select(sa.func.count()).select_from(idea_reactions))
    assert rows == 3
    await linus.post(f"/ideas/{idea_id}/react", {"reaction": "heart", "on": "0"})
    by_script = await margaret.post(
        f"/ideas/{idea_id}/react", {"reaction": "rocket", "on": "0"}, headers={"accept": "application/json"}
    )
    assert by_script.json() == {"reactions": {"heart": 1}}
    [pressed] = tree(await margaret.get(f"/ideas/{idea_id}")).css('button.reaction.reacted[aria-pressed="true"]')
    assert " ".join(pressed.text().split()) == "❤️ 1 heart" and texts(pressed, '[aria-hidden="true"]') == ["❤️"]
    assert texts(await visitor.get(f"/ideas/{idea_id}"), "button.reaction") == ["❤️ 1 heart"]


async def test_comments_take_reactions_and_bad_reactions_are_refused(person, db):
    linus = await person("linus")
    idea_id = await linus.submit_idea("Dark mode")
    await linus.comment(idea_id, "First!")
    comment_id = await db.fetch_val(sa.select(sa.func.max(comments.c.id)))
    response = await linus.post(f"/comments/{comment_id}/react", {"reaction": "eyes", "on": "1"})
    assert response.headers["location"] == f"/ideas/{idea_id}#comment-{comment_id}"
    assert await db.fetch_val(sa.select(comments.c.reaction_counts).where(comments.c.id == comment_id)) == {"eyes": 1}
    assert (await linus.post(f"/comments/{comment_id}/react", {"reaction": "skull", "on": "1"})).status_code == 400
    assert (await linus.post(f"/comments/{comment_id}/react", {"reaction": "eyes", "on": "2"})).status_code == 400
    assert (await linus.post("/comments/99999/react", {"reaction": "eyes", "on": "1"})).status_code == 404
    assert (await linus.post("/ideas/99999/react", {"reaction": "eyes", "on": "1"})).status_code == 404
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(comment_reactions)) == 1


async def test_maintainers_tag_ideas_and_lists_filter_by_tag(person, visitor, db):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    tagged = await linus.submit_idea("Dark mode")
    await linus.submit_idea("CSV export")
    response = await grace.post(f"/ideas/{tagged}/tags", {"tags": "User interface, accessibility, user interface"})
    assert response.status_code == 303
    page = (await visitor.get("/?tag=user-interface")).text
    assert "Dark mode" in shown(page) and "CSV export" not in shown(page)
    assert link_to(page, "accessibility") == "/?tag=accessibility"
    assert (await visitor.get("/?tag=nothing-here")).status_code == 400
    assert (await linus.post(f"/ideas/{tagged}/tags", {"tags": "mine"})).status_code == 403
    too_many = await grace.post(f"/ideas/{tagged}/tags", {"tags": ",".join(f"t{n}" for n in range(11))})
    assert too_many.status_code == 400 and "at most 10 tags" in shown(too_many)
    await grace.post(f"/ideas/{tagged}/tags", {"tags": ""})
    assert "Dark mode" not in shown(await visitor.get("/?tag=accessibility"))


async def test_authors_edit_within_the_window_and_maintainers_leave_a_trace(person, visitor, db):
    linus = await person("linus")
    margaret = await person("margaret")
    grace = await person("grace", role="maintainer")
    idea_id = await linus.submit_idea("Dark mode", "Please")
    edited = await linus.post(f"/ideas/{idea_id}/edit", {"title": "Dark mode everywhere", "body": "Please, everywhere"})
    assert edited.status_code == 303
    page = parsed(await visitor.get(f"/ideas/{idea_id}"))
    assert texts(page, "h1") == ["Dark mode everywhere"] and "edited" in texts(page, "span")
    assert "Dark mode everywhere" in shown(await visitor.get("/search?q=everywhere"))
    assert (await margaret.post(f"/ideas/{idea_id}/edit", {"title": "Hijacked title"})).status_code == 403

    # Time passes beyond the edit window.
    old = (await db.fetch_val(sa.select(ideas.c.created_at).where(ideas.c.id == idea_id))) - timedelta(hours=2)
    await db.execute(ideas.update().where(ideas.c.id == idea_id).values(created_at=old))
    late = await linus.post(f"/ideas/{idea_id}/edit", {"title": "Too late now"})
    assert late.status_code == 403 and "60 minutes" in shown(late)

    by_maintainer = await grace.post(
        f"/ideas/{idea_id}/edit", {"title": "Dark mode for every page", "body": "x", "edit_note": "Clearer title."}
    )
    assert by_maintainer.status_code == 303
    timeline = shown(await visitor.get(f"/ideas/{idea_id}"), "#timeline")
    assert "edited this idea" in timeline and "Clearer title." in timeline
    assert await db.fetch_val(sa.select(sa.func.count()).where(idea_events.c.kind == "edit")) == 1
    bad = await grace.post(f"/ideas/{idea_id}/edit", {"title": "", "body": "kept"})
    assert bad.status_code == 400 and "Title is required" in shown(bad) and values(bad)["body"].endswith("kept")


async def test_comments_are_edited_and_deleted_leaving_a_tombstone(person, visitor, db):
    linus = await person("linus")
    margaret = await person("margaret")
    grace = await person("grace", role="maintainer")
    idea_id = await linus.submit_idea("Dark mode")
    await margaret.comment(idea_id, "Typo'd comment")
    await margaret.comment(idea_id, "Rude comment")
    first, second = [row["id"] for row in await db.fetch_all(sa.select(comments.c.id).order_by(comments.c.id))]

    assert (await margaret.post(f"/comments/{first}/edit", {"body": "Fixed comment"})).status_code == 303
    assert (await linus.post(f"/comments/{first}/edit", {"body": "Not yours"})).status_code == 403
    assert (await linus.post(f"/comments/{second}/delete")).status_code == 403
    assert (await grace.post(f"/comments/{second}/delete")).status_code == 303

    page = (await visitor.get(f"/ideas/{idea_id}")).text
    assert "Fixed comment" in shown(page) and "edited" in texts(page, "li.comment .meta span")
    assert "Rude comment" not in page  # not sent at all, attributes included
    assert "This comment was deleted by a maintainer" in shown(page)
    assert "1 comment" in shown(page)
    assert await db.fetch_val(sa.select(ideas.c.comment_count).where(ideas.c.id == idea_id)) == 1
    assert "Dark mode" not in shown(await visitor.get("/search?q=rude"))
    assert (await grace.post(f"/comments/{second}/delete")).status_code == 404
    assert (await margaret.post(f"/comments/{second}/edit", {"body": "Back"})).status_code == 404
    assert (await visitor.post(f"/comments/{first}/delete")).status_code == 303  # to sign in
    assert "Fixed comment" in shown(await visitor.get(f"/ideas/{idea_id}"))
