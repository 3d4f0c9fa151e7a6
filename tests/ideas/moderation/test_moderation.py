"""Moderation in the open: flags, the queue, hide/lock/move/restore with a note, the public log,
suspensions, and the code of conduct."""

import re

import sqlalchemy as sa

from ideas.discussions.tables import discussion_categories, threads
from ideas.moderation.tables import flags, moderation_log
from ideas.tables import boards, comments, ideas
from tests.ideas.discussions.helpers import reply, start_thread
from tests.pages import links, one, shown


async def count(db, table) -> int:
    return await db.fetch_val(sa.select(sa.func.count()).select_from(table))


async def test_linus_flags_a_reply_grace_hides_it_with_a_note_and_everyone_reads_the_log(person, db, visitor):
    ada = await person("ada")
    linus = await person("linus")
    mallory = await person("mallory")
    grace = await person("grace", role="maintainer")
    thread_id = await start_thread(ada, "How do I reset my password?")
    rude = await reply(mallory, thread_id, "Read the manual, idiot.")

    form = await linus.get(f"/moderation/flag?kind=reply&id={rude}")
    assert form.status_code == 200 and "code of conduct" in shown(form)
    response = await linus.post("/moderation/flag", {"kind": "reply", "id": str(rude), "reason": "Insulting ada."})
    assert response.status_code == 200 and "Thank you" in shown(response)
    again = await linus.post("/moderation/flag", {"kind": "reply", "id": str(rude), "reason": "Still insulting."})
    assert again.status_code == 409
    assert "You flagged this reply already" in shown(again) and "Still insulting." in shown(again)
    assert await count(db, flags) == 1

    assert (await linus.get("/moderation/queue")).status_code == 403
    queue = (await grace.get("/moderation/queue")).text
    assert "Insulting ada." in shown(queue) and "reply to “How do I reset my password?”" in shown(queue)

    response = await grace.post(
        "/moderation/act", {"kind": "reply", "id": str(rude), "action": "hide", "note": "Insults break rule 1."}
    )
    assert response.status_code == 303
    public = (await visitor.get(f"/discussions/{thread_id}")).text
    assert "Read the manual, idiot." not in public
    assert "This reply was hidden by a moderator: Insults break rule 1." in shown(public)
    assert "Read the manual, idiot." in shown(await grace.get(f"/discussions/{thread_id}"))
    assert "Nothing is waiting" in shown(await grace.get("/moderation/queue"))
    assert await db.fetch_val(sa.select(flags.c.resolved_by_id)) == grace.id

    log = shown(await visitor.get("/moderation/log"))
    assert re.search(r"Grace.*maintainer.*\s+hid\s+the reply\s+“reply to “How do I reset my password\?””", log, re.S)
    assert "Insults break rule 1." in log

    response = await grace.post(
        "/moderation/act", {"kind": "reply", "id": str(rude), "action": "restore", "note": "Apologised."}
    )
    assert response.status_code == 303
    assert "Read the manual, idiot." in shown(await visitor.get(f"/discussions/{thread_id}"))
    assert await count(db, moderation_log) == 2


async def test_a_founders_own_action_is_logged_like_anyone_elses(person, db, visitor):
    ada = await person("ada", role="admin", founder=True)
    linus = await person("linus")
    idea_id = await linus.submit_idea("Make everything free")
    response = await ada.post(
        "/moderation/act", {"kind": "idea", "id": str(idea_id), "action": "lock", "note": "Heated; cooling off."}
    )
    assert response.status_code == 303
    log = shown(await visitor.get("/moderation/log"))
    assert "founder" in log and "locked" in log and "Make everything free" in log and "Heated; cooling off." in log
    response = await linus.comment(idea_id, "But why?")
    assert response.status_code == 409 and "takes no new comments" in shown(response) and "But why?" in shown(response)
    assert await db.fetch_val(sa.select(ideas.c.comment_count).where(ideas.c.id == idea_id)) == 0


async def test_maintainers_move_threads_and_ideas_and_the_counters_follow(person, db, visitor):
    ada = await person("ada")
    grace = await person("grace", role="maintainer")
    thread_id = await start_thread(ada, "Anyone hiring Rust developers?", category="lounge")
    response = await grace.post(
        "/moderation/act",
        {
            "kind": "thread",
            "id": str(thread_id),
            "action": "move",
            "destination": "help-wanted",
            "note": "Jobs go here.",
        },
    )
    assert response.status_code == 303
    rows = await db.fetch_all(sa.select(discussion_categories.c.slug, discussion_categories.c.thread_count))
    assert {row["slug"]: row["thread_count"] for row in rows}["help-wanted"] == 1
    assert {row["slug"]: row["thread_count"] for row in rows}["lounge"] == 0
    assert "from Lounge to Help wanted and jobs" in shown(await visitor.get("/moderation/log"))

    await grace.post("/boards/new", {"name": "Mobile app", "slug": "mobile"})
    idea_id = await ada.submit_idea("Offline mode for the app")
    response = await grace.post(
        "/moderation/act",
        {"kind": "idea", "id": str(idea_id), "action": "move", "destination": "mobile", "note": "Belongs to mobile."},
    )
    assert response.status_code == 303
    counts = {
        row["slug"]: row["idea_count"] for row in await db.fetch_all(sa.select(boards.c.slug, boards.c.idea_count))
    }
    assert counts == {"general": 0, "mobile": 1}

    for data, message in (
        ({"action": "move", "destination": "mobile", "note": "again"}, "is in Mobile app already"),
        ({"action": "move", "destination": "", "note": "x"}, "Choose where to move it"),
        ({"action": "move", "destination": "nowhere", "note": "x"}, "cannot move there"),
        ({"action": "restore", "note": "x"}, "visible already"),
        ({"action": "unlock", "note": "x"}, "unlocked already"),
        ({"action": "dismiss", "note": "x"}, "no open flags"),
        ({"action": "explode", "note": "x"}, "Choose one of the actions"),
        ({"action": "hide", "note": ""}, "A public note is required"),
    ):
        response = await grace.post("/moderation/act", {"kind": "idea", "id": str(idea_id), **data})
        assert response.status_code == 400 and message in shown(response), data
    assert await count(db, moderation_log) == 2


async def test_members_cannot_moderate_suspend_or_edit_the_code_of_conduct(person, db, visitor):
    ada = await person("ada")
    linus = await person("linus")
    grace = await person("grace", role="maintainer")
    thread_id = await start_thread(ada, "A perfectly fine question")
    for someone in (linus, visitor):
        response = await someone.post(
            "/moderation/act", {"kind": "thread", "id": str(thread_id), "action": "hide", "note": "mine"}
        )
        assert response.status_code == 403
        assert (await someone.get(f"/moderation/act?kind=thread&id={thread_id}")).status_code == 403
    for someone in (linus, grace):  # suspending and the code of conduct are for admins
        response = await someone.post("/moderation/members/ada/suspend", {"days": "3", "note": "because"})
        assert response.status_code == 403
        response = await someone.post("/code-of-conduct/edit", {"body": "Anything goes, really.", "note": "x"})
        assert response.status_code == 403
    assert await count(db, moderation_log) == 0
    assert await db.fetch_val(sa.select(threads.c.hidden_at)) is None


async def test_an_admin_suspends_mallory_who_then_cannot_post_vote_react_or_flag(person, db):
    ada = await person("ada", role="admin")
    linus = await person("linus")
    mallory = await person("mallory")
    idea_id = await linus.submit_idea("Dark mode everywhere")
    thread_id = await start_thread(linus, "Tips for new members", category="lounge")

    for data, message in (
        ({"days": "", "note": "spam"}, "Days is required"),
        ({"days": "0", "note": "spam"}, "Days must be a whole number from 1 to 3650"),
        ({"days": "three", "note": "spam"}, "Days must be a whole number"),
        ({"days": "3", "note": ""}, "A public note is required"),
    ):
        response = await ada.post("/moderation/members/mallory/suspend", data)
        assert response.status_code == 400 and message in shown(response), data
    assert (await ada.post("/moderation/members/nobody/suspend", {"days": "3", "note": "x"})).status_code == 404
    response = await ada.post("/moderation/members/ada/suspend", {"days": "3", "note": "x"})
    assert response.status_code == 400 and "cannot suspend yourself" in shown(response)

    response = await ada.post("/moderation/members/mallory/suspend", {"days": "7", "note": "Spam in three threads."})
    assert response.status_code == 303
    assert "suspended" in (log := shown(await linus.get("/moderation/log"))) and "@mallory" in log

    home = (await mallory.get("/")).text
    assert "Your account is suspended until" in shown(home) and "Spam in three threads." in shown(home)
    attempts = [
        ("/ideas/new", {"title": "Buy cheap watches", "body": "x", "confirmed": "1"}),
        (f"/ideas/{idea_id}/vote", {"vote": "1"}),
        (f"/ideas/{idea_id}/comments", {"body": "cheap watches"}),
        (f"/ideas/{idea_id}/react", {"reaction": "heart", "on": "1"}),
        ("/discussions/new", {"title": "Cheap watches", "body": "x", "category": "lounge"}),
        (f"/discussions/{thread_id}/replies", {"body": "cheap watches"}),
        (f"/discussions/{thread_id}/react", {"reaction": "heart", "on": "1"}),
        ("/moderation/flag", {"kind": "idea", "id": str(idea_id), "reason": "I flag everything"}),
    ]
    for path, data in attempts:
        response = await mallory.post(path, data)
        assert response.status_code == 403, path
        assert "Spam in three threads." in shown(response)
    assert await db.fetch_val(sa.select(ideas.c.vote_count).where(ideas.c.id == idea_id)) == 0
    assert await count(db, flags) == 0
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(ideas)) == 1

    response = await ada.post("/moderation/members/mallory/suspend", {"lift": "1", "note": "Promised to stop."})
    assert response.status_code == 303
    assert (await mallory.vote(idea_id)).status_code == 303
    assert "lifted the suspension of" in shown(await linus.get("/moderation/log"))


async def test_flags_with_bad_input_are_refused_and_change_nothing(person, db, visitor):
    linus = await person("linus")
    idea_id = await linus.submit_idea("A normal idea")
    response = await linus.post("/moderation/flag", {"kind": "idea", "id": str(idea_id), "reason": "bad"})
    assert response.status_code == 400 and "The reason needs at least 5 characters" in shown(response)
    for query in (
        "kind=idea&id=999",
        "kind=user&id=1",
        "kind=idea&id=abc",
        "kind=idea&id=0",
        "",
        "kind=idea&id=" + "9" * 40,
    ):
        assert (await linus.get(f"/moderation/flag?{query}")).status_code == 404, query
    response = await visitor.post("/moderation/flag", {"kind": "idea", "id": str(idea_id), "reason": "Spam here"})
    assert response.status_code == 303 and "/signin" in response.headers["location"]
    assert await count(db, flags) == 0
    assert (await visitor.get("/moderation/log?before=zz")).status_code == 400


async def test_a_hidden_idea_and_comment_show_a_placeholder_to_members_and_the_content_to_moderators(person, visitor):
    linus = await person("linus")
    grace = await person("grace", role="maintainer")
    idea_id = await linus.submit_idea("Secret plans to spam")
    await linus.comment(idea_id, "A comment with a phone number 555-0100")
    comment_id = one(await grace.get(f"/ideas/{idea_id}"), "li.comment").attributes["id"].removeprefix("comment-")
    await grace.post(
        "/moderation/act", {"kind": "comment", "id": comment_id, "action": "hide", "note": "Personal data."}
    )
    await grace.post("/moderation/act", {"kind": "idea", "id": str(idea_id), "action": "hide", "note": "Spam."})
    public = (await visitor.get(f"/ideas/{idea_id}")).text
    assert "Secret plans to spam" not in public and "A moderator hid this idea: Spam." in shown(public)
    listing = (await visitor.get("/")).text
    assert "Secret plans to spam" not in listing and "Hidden by a moderator: Spam." in shown(listing)
    assert f"/ideas/{idea_id}" not in links(await visitor.get("/search?q=secret+plans"))
    assert "Secret plans" not in (await visitor.get("/ideas/similar?title=secret+plans")).text
    assert f"/ideas/{idea_id}" in links(await grace.get("/search?q=secret+plans"))
    moderator_view = (await grace.get(f"/ideas/{idea_id}")).text
    assert "Secret plans to spam" in shown(moderator_view) and "Hidden from members: Spam." in shown(moderator_view)
    assert "hidden from members: Personal data." in shown(moderator_view)
    await grace.post("/moderation/act", {"kind": "idea", "id": str(idea_id), "action": "restore", "note": "Fine."})
    restored = (await visitor.get(f"/ideas/{idea_id}")).text
    assert "Secret plans to spam" in shown(restored)
    assert "555-0100" not in restored and "This comment was hidden by a moderator: Personal data." in shown(restored)


async def test_the_code_of_conduct_has_a_default_admins_edit_it_and_every_form_links_it(person, visitor):
    ada = await person("ada", role="admin")
    page = await visitor.get("/code-of-conduct")
    assert page.status_code == 200 and "Be kind and assume good intent" in shown(page)
    response = await ada.post("/code-of-conduct/edit", {"body": "short", "note": "x"})
    assert (
        response.status_code == 400
        and "at least 20 characters" in shown(response)
        and ">short</textarea>" in response.text
    )
    response = await ada.post(
        "/code-of-conduct/edit", {"body": "# Our rules\n\nBe **excellent** to each other.", "note": "Shorter."}
    )
    assert response.status_code == 303
    page = (await visitor.get("/code-of-conduct")).text
    assert "<strong>excellent</strong>" in page and "Be kind" not in shown(page)
    assert "edited" in shown(await visitor.get("/moderation/log"))
    for path in ("/ideas/new", "/discussions/new", "/signup"):
        someone = ada if path != "/signup" else visitor
        assert "/code-of-conduct" in links(await someone.get(path)), path


async def test_a_locked_thread_takes_no_replies_and_a_hidden_one_shows_its_reason_in_lists(person, db, visitor):
    ada = await person("ada")
    linus = await person("linus")
    grace = await person("grace", role="maintainer")
    thread_id = await start_thread(ada, "Flame war about tabs", category="lounge")
    await reply(linus, thread_id, "Spaces!")
    response = await grace.post(
        "/moderation/act", {"kind": "thread", "id": str(thread_id), "action": "lock", "note": "Enough said."}
    )
    assert response.status_code == 303
    page = (await linus.get(f"/discussions/{thread_id}")).text
    assert "A moderator locked this thread" in shown(page)
    response = await linus.post(f"/discussions/{thread_id}/replies", {"body": "Tabs!"})
    assert response.status_code == 409 and "Tabs!" in shown(response)
    assert await db.fetch_val(sa.select(threads.c.reply_count).where(threads.c.id == thread_id)) == 1

    await grace.post(
        "/moderation/act", {"kind": "thread", "id": str(thread_id), "action": "hide", "note": "Off topic."}
    )
    listing = (await visitor.get("/discussions")).text
    assert "Flame war about tabs" not in listing and "Hidden by a moderator: Off topic." in shown(listing)
    thread_page = (await visitor.get(f"/discussions/{thread_id}")).text
    assert "Flame war about tabs" not in thread_page and "Spaces!" not in thread_page
    assert "A moderator hid this thread: Off topic." in shown(thread_page)
    response = await linus.post(f"/discussions/{thread_id}/react", {"reaction": "heart", "on": "1"})
    assert response.status_code == 404
    assert "Flame war about tabs" in shown(await grace.get("/discussions"))

    await grace.post(
        "/moderation/act", {"kind": "thread", "id": str(thread_id), "action": "unlock", "note": "Calm now."}
    )
    await grace.post("/moderation/act", {"kind": "thread", "id": str(thread_id), "action": "restore", "note": "Ok."})
    await reply(linus, thread_id, "Let us agree to disagree.")
    log = shown(await visitor.get("/moderation/log"))
    for verb in ("locked", "hid", "unlocked", "restored"):
        assert f"\n            {verb}\n" in log, verb


async def test_grace_dismisses_flags_on_a_fine_comment_and_the_log_counts_them(person, db, visitor):
    linus = await person("linus")
    margaret = await person("margaret")
    alan = await person("alan")
    grace = await person("grace", role="maintainer")
    idea_id = await linus.submit_idea("Rename the project")
    await linus.comment(idea_id, "I think Roundtable is fine.")
    comment_id = str(await db.fetch_val(sa.select(sa.func.max(comments.c.id))))
    for someone in (margaret, alan):
        response = await someone.post("/moderation/flag", {"kind": "comment", "id": comment_id, "reason": "Disagree!"})
        assert response.status_code == 200
    assert "Disagree!" in shown(await grace.get(f"/moderation/act?kind=comment&id={comment_id}"))
    response = await grace.post(
        "/moderation/act", {"kind": "comment", "id": comment_id, "action": "dismiss", "note": "Disagreeing is fine."}
    )
    assert response.status_code == 303
    assert "2 flags dismissed" in shown(await visitor.get("/moderation/log"))
    assert "I think Roundtable is fine." in shown(await visitor.get(f"/ideas/{idea_id}"))
    response = await grace.post("/moderation/act", {"kind": "comment", "id": comment_id, "action": "lock", "note": "x"})
    assert response.status_code == 400 and "Only ideas and threads can be locked" in shown(response)


async def test_a_hidden_idea_leaves_the_similar_ideas_and_its_history_feed(person, visitor):
    linus = await person("linus")
    grace = await person("grace", role="maintainer")
    idea_id = await linus.submit_idea("Cheap watches for everyone")
    assert "Cheap watches" in shown(await visitor.get("/ideas/similar?title=cheap+watches"))
    await grace.post("/moderation/act", {"kind": "idea", "id": str(idea_id), "action": "hide", "note": "Spam."})
    assert (await visitor.get("/ideas/similar?title=cheap+watches")).json() == {"ideas": []}
    assert (await visitor.get(f"/ideas/{idea_id}/timeline.atom")).status_code == 404


async def test_a_hidden_idea_leaves_the_public_roadmap(person, visitor):
    linus = await person("linus")
    grace = await person("grace", role="maintainer")
    idea_id = await linus.submit_idea("Buy followers cheaply")
    await grace.post(f"/ideas/{idea_id}/status", {"status": "planned", "note": "Oops, wrong one."})
    assert "Buy followers cheaply" in shown(await visitor.get("/roadmap"))
    await grace.post("/moderation/act", {"kind": "idea", "id": str(idea_id), "action": "hide", "note": "Spam."})
    assert "Buy followers cheaply" not in (await visitor.get("/roadmap")).text


async def test_a_suspended_member_cannot_write_anywhere_on_the_site_but_may_leave(person, db):
    ada = await person("ada", role="admin")
    grace = await person("grace", role="maintainer")
    idea_id = await ada.submit_idea("Calm mornings")
    suspended = await ada.post("/moderation/members/grace/suspend", {"days": "3", "note": "Cooling off."})
    assert suspended.status_code == 303
    for path, data in (
        ("/settings/profile", {"display_name": "Grace", "bio": "BUY CHEAP PILLS"}),
        (f"/ideas/{idea_id}/status", {"status": "planned", "note": "Sure."}),
        (f"/ideas/{idea_id}/tags", {"tags": "spam"}),
        ("/boards/new", {"name": "Spam board", "slug": "spam"}),
        ("/repos/new", {"url": "https://example.org/x.git", "kind": "contribution"}),
    ):
        response = await grace.post(path, data)
        assert response.status_code == 403 and "Cooling off." in shown(response), path
    assert await db.fetch_val(sa.select(ideas.c.status).where(ideas.c.id == idea_id)) == "open"
    assert (await grace.post("/signout", {})).status_code == 303


async def test_hidden_ideas_stay_hidden_in_the_api_and_closed_ideas_take_no_comments_or_votes(app, person, db):
    from tests.api_client import api_client, create_token
    from tests.ideas.discussions.helpers import start_thread

    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    idea_id = await linus.submit_idea("Zebracorn slur")
    thread_id = await start_thread(linus, "Rude thread title")
    await grace.post("/moderation/act", {"kind": "idea", "id": str(idea_id), "action": "hide", "note": "Slur."})
    await grace.post("/moderation/act", {"kind": "thread", "id": str(thread_id), "action": "hide", "note": "Rude."})
    token = await create_token(linus)
    async with api_client(app, token) as script:
        listed = await script.get("/api/v1/ideas")
        one = await script.get(f"/api/v1/ideas/{idea_id}")
        comment = await script.post(f"/api/v1/ideas/{idea_id}/comments", json={"body": "still here"})
        vote = await script.put(f"/api/v1/ideas/{idea_id}/vote")
    assert "Zebracorn" not in listed.text and one.status_code == 404
    assert comment.status_code == 409 and vote.status_code == 409
    async with api_client(app, await create_token(grace)) as script:
        assert (await script.get(f"/api/v1/ideas/{idea_id}")).status_code == 200  # moderators still read it
        refused = await script.post(f"/api/v1/ideas/{idea_id}/comments", json={"body": "noted"})
    assert refused.status_code == 409
    site_vote = await linus.post(f"/ideas/{idea_id}/vote", {"vote": "1"})
    assert site_vote.status_code == 409
    back = await linus.post(f"/discussions/{thread_id}/idea", {"board": "general"})
    assert back.status_code == 409 and "hid this thread" in shown(back)
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(ideas)) == 1


async def test_a_deleted_member_s_name_leaves_the_moderation_log_and_hidden_posts_leave_profiles(person, db, visitor):
    ada = await person("ada", role="admin")
    linus = await person("linus")
    idea_id = await linus.submit_idea("Zebracorn slur")
    await ada.post("/moderation/act", {"kind": "idea", "id": str(idea_id), "action": "hide", "note": "Slur."})
    assert "Zebracorn" not in (await visitor.get("/people/linus")).text
    hidden_log = (await visitor.get("/moderation/log")).text
    assert "Zebracorn" not in hidden_log and f"idea #{idea_id}" in shown(hidden_log)
    await ada.post("/moderation/members/linus/suspend", {"days": "3", "note": "Slurs."})
    await ada.post("/moderation/members/linus/suspend", {"lift": "1", "note": "Promised."})
    await linus.get("/settings/data")
    assert (await linus.post("/settings/data/delete", {"confirm_username": "linus"})).status_code == 200
    log = (await visitor.get("/moderation/log")).text
    assert "@linus" not in log and "a deleted member" in shown(log)  # the name is nowhere in the page
