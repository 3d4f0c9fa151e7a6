"""@mentions in threads, replies, ideas and comments: links, one notification per post, clear errors."""

import sqlalchemy as sa

from ideas.discussions.tables import threads
from ideas.tables import comments, ideas
from tests.ideas.discussions.helpers import reply, start_thread, subjects
from tests.pages import links, shown, tree, values


async def test_a_mention_links_to_the_member_and_notifies_them_once_per_post(person, db, visitor):
    ada = await person("ada")
    linus = await person("linus")
    grace = await person("grace")
    thread_id = await start_thread(
        ada, "Who knows the sync code?", "Maybe @linus knows, or @Grace? Not me@example.org."
    )
    page = (await visitor.get(f"/discussions/{thread_id}")).text
    mentions = {node.attributes["href"]: node.text() for node in tree(page).css("a.mention")}
    assert mentions["/people/linus"] == "@linus"
    assert "/people/grace" in mentions and "me@example.org" in shown(page)
    assert await subjects(db, linus) == ["mentioned you in “Who knows the sync code?”"]
    assert await subjects(db, grace) == ["mentioned you in “Who knows the sync code?”"]

    await reply(linus, thread_id, "Thanks @ada, and `@nobody` in code is not a mention.")
    # ada follows her thread, and is told once, of the mention (tests/portal/test_email_one_per_event.py).
    assert (await subjects(db, ada))[-1] == "mentioned you in a reply to “Who knows the sync code?”"
    assert "replied to “Who knows the sync code?”" not in await subjects(db, ada)


async def test_mentions_in_ideas_and_comments_notify_once_even_when_edited(person, db, visitor):
    ada = await person("ada")
    linus = await person("linus")
    grace = await person("grace")
    idea_id = await ada.submit_idea("Sync over Bluetooth", "Idea from a chat with @linus.")
    assert await subjects(db, linus) == ["mentioned you in the idea “Sync over Bluetooth”"]
    response = await ada.post(
        f"/ideas/{idea_id}/edit", {"title": "Sync over Bluetooth", "body": "From a chat with @linus and @grace."}
    )
    assert response.status_code == 303
    assert len(await subjects(db, linus)) == 1  # not again for the edit
    assert await subjects(db, grace) == ["mentioned you in the idea “Sync over Bluetooth”"]

    response = await grace.comment(idea_id, "Great, @ada!")
    assert response.status_code == 303
    mentions_of_ada = [s for s in await subjects(db, ada) if s.startswith("mentioned")]
    assert mentions_of_ada == ["mentioned you in a comment on “Sync over Bluetooth”"]
    comment_id = await db.fetch_val(sa.select(comments.c.id))
    await grace.post(f"/comments/{comment_id}/edit", {"body": "Great, @ada! Really."})
    assert [s for s in await subjects(db, ada) if s.startswith("mentioned")] == mentions_of_ada
    assert "/people/ada" in links(await visitor.get(f"/ideas/{idea_id}"), "a.mention")


async def test_mentioning_a_member_who_does_not_exist_is_an_error_that_saves_nothing(person, db):
    ada = await person("ada")
    await person("linus")
    response = await ada.post(
        "/discussions/new", {"title": "Help with the API", "body": "Ask @linus or @nobody-here", "category": "lounge"}
    )
    assert response.status_code == 400
    assert "There is no member called @nobody-here." in shown(response)
    assert any(value.endswith("Ask @linus or @nobody-here") for value in values(response).values())
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(threads)) == 0

    response = await ada.post("/ideas/new", {"title": "A fine idea", "body": "cc @ghost", "confirmed": "1"})
    assert response.status_code == 400 and "There is no member called @ghost." in shown(response)
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(ideas)) == 0

    idea_id = await ada.submit_idea("A fine idea")
    response = await ada.comment(idea_id, "What does @ghost think?")
    assert response.status_code == 400 and "There is no member called @ghost." in shown(response)
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(comments)) == 0

    thread_id = await start_thread(ada, "A thread to reply to", category="lounge")
    response = await ada.post(f"/discussions/{thread_id}/replies", {"body": "@ghost1 and @ghost2"})
    assert response.status_code == 400 and "There is no member called @ghost1, @ghost2." in shown(response)
    assert await db.fetch_val(sa.select(threads.c.reply_count).where(threads.c.id == thread_id)) == 0


async def test_editing_a_thread_or_reply_tells_only_the_newly_mentioned(person, db, visitor):
    ada = await person("ada")
    linus = await person("linus")
    grace = await person("grace")
    barbara = await person("barbara", role="maintainer")
    thread_id = await start_thread(ada, "Release checklist", "Ping @linus.", category="lounge")
    response = await ada.post(
        f"/discussions/{thread_id}/edit", {"title": "Release checklist v2", "body": "Ping @linus and @grace."}
    )
    assert response.status_code == 303
    assert len(await subjects(db, linus)) == 1
    assert await subjects(db, grace) == ["mentioned you in “Release checklist v2”"]
    page = (await visitor.get(f"/discussions/{thread_id}")).text
    assert "Release checklist v2" in shown(page) and "edited" in shown(page)

    reply_id = await reply(linus, thread_id, "Done.")
    assert (await ada.get(f"/discussions/replies/{reply_id}/edit")).status_code == 403  # not hers
    response = await linus.post(f"/discussions/replies/{reply_id}/edit", {"body": "Done, @ada."})
    assert response.status_code == 303
    assert "mentioned you in a reply to “Release checklist v2”" in await subjects(db, ada)
    response = await linus.post(f"/discussions/replies/{reply_id}/edit", {"body": "Done, @ada and @nobody."})
    assert response.status_code == 400 and "There is no member called @nobody." in shown(response)
    assert any(value.endswith("Done, @ada and @nobody.") for value in values(response).values())
    assert "@nobody" not in shown(await visitor.get(f"/discussions/{thread_id}"))
    response = await linus.post(f"/discussions/{thread_id}/edit", {"title": "Hijacked", "body": "mine now"})
    assert response.status_code == 403
    response = await barbara.post(f"/discussions/{thread_id}/edit", {"title": "Release checklist", "body": "Tidied."})
    assert response.status_code == 400 and "Why you edit it is required" in shown(response)
    response = await barbara.post(
        f"/discussions/{thread_id}/edit", {"title": "Release checklist", "body": "Tidied.", "edit_note": "Typo fix."}
    )
    assert response.status_code == 303
    log = (await visitor.get("/moderation/log")).text
    assert "edited" in shown(log) and "Release checklist v2" in shown(log) and "Typo fix." in shown(log)
    assert (await ada.post(f"/discussions/{thread_id}/edit", {"title": "", "body": "x"})).status_code == 400
