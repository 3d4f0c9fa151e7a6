"""Threads in categories, replies, accepted answers, deadlines, following, reactions, thread to idea."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from ideas.discussions import queries, reply_queries
from ideas.discussions.tables import discussion_categories, thread_replies, threads
from tests.ideas.discussions.helpers import reply, start_thread, subjects
from tests.pages import actions, has, links, parsed, shown, texts, values


async def test_the_migration_seeds_four_categories_and_the_page_lists_them(visitor):
    page = (await visitor.get("/discussions")).text
    for name in ("Q&A", "Show and tell", "Help wanted and jobs", "Lounge"):
        assert name in shown(page)
    assert "No threads yet" in shown(page)


async def test_ada_asks_linus_and_grace_answer_and_ada_accepts_then_changes_her_mind(person, db, visitor):
    ada = await person("ada")
    linus = await person("linus")
    grace = await person("grace")
    thread_id = await start_thread(ada, "How do I export my votes?", "I tried the **settings** page.")
    first = await reply(linus, thread_id, "Use the CLI.")
    second = await reply(grace, thread_id, "Settings → Your data → Download.")

    thread = await db.fetch_one(sa.select(threads).where(threads.c.id == thread_id))
    assert thread["reply_count"] == 2
    assert thread["last_activity_at"] > thread["created_at"]
    assert "Unanswered" in shown(await visitor.get("/discussions/c/q-and-a"))

    response = await ada.post(f"/discussions/{thread_id}/accept", {"reply": str(second)})
    assert response.status_code == 303
    page = parsed(await visitor.get(f"/discussions/{thread_id}"))
    assert "Accepted answer" in texts(page, "h3")
    replies = [node.attributes["id"] for node in page.css("li.reply")]
    assert replies.index(f"reply-{second}") < replies.index(f"reply-{first}")
    assert await reply_queries.accepted_answer_counts(db) == {grace.id: 1}
    assert "Grace"[0:1] and "accepted your answer" in " ".join(await subjects(db, grace))
    assert "How do I export my votes?" not in shown(await visitor.get("/discussions/c/q-and-a?unanswered=1"))

    await ada.post(f"/discussions/{thread_id}/accept", {"reply": str(first)})
    assert await reply_queries.accepted_answer_counts(db, [linus.id, grace.id]) == {linus.id: 1}
    accepted = await db.fetch_all(sa.select(thread_replies.c.id).where(thread_replies.c.is_accepted == sa.true()))
    assert [row["id"] for row in accepted] == [first]

    await ada.post(f"/discussions/{thread_id}/accept", {"reply": "0"})
    assert await reply_queries.accepted_answer_counts(db) == {}
    assert await db.fetch_val(sa.select(threads.c.accepted_reply_id).where(threads.c.id == thread_id)) is None
    assert "How do I export my votes?" in shown(await visitor.get("/discussions/c/q-and-a?unanswered=1"))


async def test_an_answered_question_shows_each_reply_once_and_counts_them(person, visitor):
    ada, linus, grace = await person("ada"), await person("linus"), await person("grace")
    thread_id = await start_thread(ada, "How do I export my votes?")
    first = await reply(linus, thread_id, "Use the CLI.")
    second = await reply(grace, thread_id, "Settings, then Your data.")
    await ada.post(f"/discussions/{thread_id}/accept", {"reply": str(second)})

    for someone in (visitor, ada):
        page = HTMLParser((await someone.get(f"/discussions/{thread_id}")).text)
        replies = page.css("#replies li.reply")
        assert page.css_first("#replies-heading").text(strip=True) == "2 replies"
        assert [node.attributes["id"] for node in replies] == [f"reply-{second}", f"reply-{first}"]
        apart = page.css(".accepted-first li.reply")
        assert [node.attributes["id"] for node in apart] == [f"reply-{second}"]
        assert "Accepted answer" in apart[0].css_first(".meta").text()


async def test_the_asker_finds_each_replys_accept_button_with_its_other_actions(person):
    # A <form> cannot sit in a <p>: the parser ends the paragraph before it, so the button and the
    # links after it fell out of the reply's row of actions (and the page was not valid HTML).
    ada, linus, grace = await person("ada"), await person("linus"), await person("grace")
    thread_id = await start_thread(ada, "How do I export my votes?")
    first = await reply(linus, thread_id, "Use the CLI.")
    second = await reply(grace, thread_id, "Settings, then Your data.")
    await ada.post(f"/discussions/{thread_id}/accept", {"reply": str(second)})

    page = HTMLParser((await ada.get(f"/discussions/{thread_id}")).text)
    for reply_id, button in ((second, "Unmark as the answer"), (first, "Accept as the answer")):
        actions = page.css(f"#reply-{reply_id} .comment-actions")
        assert len(actions) == 1, reply_id
        assert actions[0].css_first("form button").text(deep=False).strip() == button
        assert [link.text(deep=False) for link in actions[0].css("a")] == ["Flag"]


async def test_only_the_asker_or_a_maintainer_accepts_and_only_on_questions(person, db):
    ada = await person("ada")
    linus = await person("linus")
    grace = await person("grace", role="maintainer")
    thread_id = await start_thread(ada, "Which database should I pick?")
    answer = await reply(linus, thread_id, "SQLite to start.")
    response = await linus.post(f"/discussions/{thread_id}/accept", {"reply": str(answer)})
    assert response.status_code == 403
    assert "Only the member who asked" in shown(response)
    assert await reply_queries.accepted_answer_counts(db) == {}
    assert "Accept as the answer" not in shown(await linus.get(f"/discussions/{thread_id}"))

    assert (await grace.post(f"/discussions/{thread_id}/accept", {"reply": str(answer)})).status_code == 303
    assert await reply_queries.accepted_answer_counts(db) == {linus.id: 1}

    other = await start_thread(ada, "Another question")
    elsewhere = await reply(linus, other, "An answer elsewhere")
    response = await ada.post(f"/discussions/{thread_id}/accept", {"reply": str(elsewhere)})
    assert response.status_code == 404
    for bad in ("", "abc", "-1", "9" * 30):
        assert (await ada.post(f"/discussions/{thread_id}/accept", {"reply": bad})).status_code == 400

    lounge = await start_thread(ada, "Hello everyone", category="lounge")
    chat = await reply(linus, lounge, "Hi!")
    response = await ada.post(f"/discussions/{lounge}/accept", {"reply": str(chat)})
    assert response.status_code == 409


async def test_replies_notify_followers_and_the_author_until_they_unfollow(person, db):
    ada = await person("ada")
    linus = await person("linus")
    grace = await person("grace")
    thread_id = await start_thread(ada, "Show: my plugin", category="show-and-tell")
    await reply(linus, thread_id, "Nice!")
    await reply(grace, thread_id, "Very nice!")
    assert await subjects(db, ada) == ["replied to “Show: my plugin”", "replied to “Show: my plugin”"]
    assert await subjects(db, linus) == ["replied to “Show: my plugin”"]
    assert (await ada.post(f"/discussions/{thread_id}/follow", {"follow": "0"})).status_code == 303
    await reply(linus, thread_id, "One more thing")
    assert len(await subjects(db, ada)) == 2
    assert len(await subjects(db, grace)) == 1
    assert (await ada.post(f"/discussions/{thread_id}/follow", {"follow": "maybe"})).status_code == 400


async def test_a_job_post_closes_after_its_deadline_by_the_clock(app, person, db):
    moment = datetime(2031, 5, 10, 12, 0, tzinfo=UTC)
    app.state.clock = lambda: moment
    try:
        ada = await person("ada")
        linus = await person("linus")
        thread_id = await start_thread(
            ada, "Paid: port the CLI to Windows", category="help-wanted", deadline="2031-05-11"
        )
        await reply(linus, thread_id, "I can do it.")
        moment = datetime(2031, 5, 11, 23, 59, tzinfo=UTC)  # the last day still takes replies
        await reply(linus, thread_id, "Still interested.")
        moment = datetime(2031, 5, 12, 0, 0, tzinfo=UTC)
        page = (await linus.get(f"/discussions/{thread_id}")).text
        assert "This post closed at its deadline, 2031-05-12 00:00 UTC." in shown(page)
        assert f"/discussions/{thread_id}/replies" not in actions(page)
        assert "Closed" in shown(await linus.get("/discussions/c/help-wanted"))
        response = await linus.post(f"/discussions/{thread_id}/replies", {"body": "Too late?"})
        assert response.status_code == 409
        assert "closed at its deadline" in shown(response)
        assert await db.fetch_val(sa.select(threads.c.reply_count).where(threads.c.id == thread_id)) == 2

        for bad, message in (
            ("2031-05-11", "The deadline has passed already"),
            ("tomorrow", "must be a date like 2026-12-31"),
        ):
            response = await ada.post(
                "/discussions/new",
                {"title": "Another job", "body": "Words", "category": "help-wanted", "deadline": bad},
            )
            assert response.status_code == 400 and message in shown(response)
            assert values(response)["title"] == "Another job"
        response = await ada.post(
            "/discussions/new",
            {"title": "A question", "body": "Words", "category": "q-and-a", "deadline": "2031-06-01"},
        )
        assert response.status_code == 400 and "have no deadline" in shown(response)
    finally:
        del app.state.clock


async def test_bad_thread_and_reply_input_is_refused_with_what_was_typed_kept(person, db):
    ada = await person("ada")
    cases = [
        ({"title": "", "body": "x", "category": "lounge"}, "Title is required"),
        ({"title": "Hi", "body": "x", "category": "lounge"}, "Title needs at least 5 characters"),
        ({"title": "A good title", "body": "", "category": "lounge"}, "Text is required"),
        ({"title": "A good title", "body": "x" * 20001, "category": "lounge"}, "Text can be at most 20000"),
        ({"title": "A good title", "body": "words", "category": "nowhere"}, "Choose one of the categories"),
        ({"title": "A good title\x00", "body": "words", "category": "<script>"}, "Choose one of the categories"),
    ]
    for data, message in cases:
        response = await ada.post("/discussions/new", data)
        assert response.status_code == 400, data
        assert message in shown(response)
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(threads)) == 0
    thread_id = await start_thread(ada, "A good title", category="lounge")
    response = await ada.post(f"/discussions/{thread_id}/replies", {"body": "   "})
    assert response.status_code == 400 and "Reply is required" in shown(response)
    assert (await ada.post("/discussions/999/replies", {"body": "hello"})).status_code == 404
    assert (await ada.get("/discussions/999")).status_code == 404
    assert (await ada.get("/discussions?after=garbage")).status_code == 400
    assert (await ada.get("/discussions?after=999999999999999999-1")).status_code == 400
    assert (await ada.get("/discussions/c/lounge?unanswered=1")).status_code == 400
    assert (await ada.get(f"/discussions/{thread_id}?after=x")).status_code == 400
    assert (await ada.get("/discussions/c/nowhere")).status_code == 404


async def test_visitors_are_sent_to_sign_in_and_csrf_is_required(visitor, person):
    ada = await person("ada")
    thread_id = await start_thread(ada, "A visible thread", category="lounge")
    for path in ("/discussions/new", f"/discussions/{thread_id}/replies", f"/discussions/{thread_id}/accept"):
        response = await visitor.post(path, {"body": "x"})
        assert response.status_code == 303 and "/signin" in response.headers["location"]
    response = await ada.post(f"/discussions/{thread_id}/replies", {"body": "x"}, csrf=False)
    assert response.status_code == 403


async def test_lists_are_newest_activity_first_and_paginate_by_keyset(person, db, visitor):
    ada = await person("ada")
    base = datetime(2030, 1, 1, tzinfo=UTC)
    category_id = await db.fetch_val(
        sa.select(discussion_categories.c.id).where(discussion_categories.c.slug == "lounge")
    )
    for n in range(queries.PAGE_SIZE + 5):
        await queries.create_thread(
            db,
            category_id=category_id,
            author_id=ada.id,
            title=f"Thread number {n:02d}",
            body="b",
            body_html="<p>b</p>",
            deadline=None,
            mentioned=[],
            # Two threads share each moment, so the id breaks ties.
            now=base + timedelta(minutes=n // 2),
        )
    first = parsed(await visitor.get("/discussions/c/lounge"))
    listed = shown(first)
    assert listed.index("Thread number 29") < listed.index("Thread number 28") < listed.index("Thread number 05")
    assert "Thread number 04" not in listed
    [more] = links(first, 'a[rel="next"]')
    assert more.startswith("?after=")
    second = parsed(await visitor.get(f"/discussions/c/lounge{more}"))
    for n in range(5):
        assert f"Thread number {n:02d}" in shown(second)
    assert "Thread number 05" not in shown(second)
    assert not has(second, '[rel="next"]')
    count = await db.fetch_val(
        sa.select(discussion_categories.c.thread_count).where(discussion_categories.c.id == category_id)
    )
    assert count == queries.PAGE_SIZE + 5


async def test_reactions_on_threads_and_replies_count_once_per_member(person, db):
    ada = await person("ada")
    linus = await person("linus")
    thread_id = await start_thread(ada, "Show: a theme", category="show-and-tell")
    reply_id = await reply(linus, thread_id, "Looks great")
    for _ in range(2):
        assert (
            await linus.post(f"/discussions/{thread_id}/react", {"reaction": "heart", "on": "1"})
        ).status_code == 303
    response = await ada.post(
        f"/discussions/replies/{reply_id}/react",
        {"reaction": "rocket", "on": "1"},
        headers={"accept": "application/json"},
    )
    assert response.json() == {"reactions": {"rocket": 1}}
    assert await db.fetch_val(sa.select(threads.c.reaction_counts).where(threads.c.id == thread_id)) == {"heart": 1}
    await linus.post(f"/discussions/{thread_id}/react", {"reaction": "heart", "on": "0"})
    assert await db.fetch_val(sa.select(threads.c.reaction_counts).where(threads.c.id == thread_id)) == {}
    assert (await ada.post(f"/discussions/{thread_id}/react", {"reaction": "poo", "on": "1"})).status_code == 400
    assert (await ada.post("/discussions/replies/999/react", {"reaction": "heart", "on": "1"})).status_code == 404


async def test_ada_turns_her_thread_into_an_idea_and_the_thread_closes(person, db, visitor):
    ada = await person("ada")
    linus = await person("linus")
    grace = await person("grace", role="maintainer")
    thread_id = await start_thread(ada, "Wish: offline mode", "It would help on trains.", category="lounge")
    assert (await linus.get(f"/discussions/{thread_id}/idea")).status_code == 403
    assert (await linus.post(f"/discussions/{thread_id}/idea", {"board": "general"})).status_code == 403
    response = await ada.post(f"/discussions/{thread_id}/idea", {"board": "nowhere"})
    assert response.status_code == 400 and "Choose one of the boards" in shown(response)

    response = await ada.post(f"/discussions/{thread_id}/idea", {"board": "general"})
    assert response.status_code == 303
    idea_path = response.headers["location"]
    idea_page = parsed(await visitor.get(idea_path))
    assert "Wish: offline mode" in shown(idea_page) and "It would help on trains." in shown(idea_page)
    assert f"/discussions/{thread_id}" in links(idea_page)
    thread_page = parsed(await visitor.get(f"/discussions/{thread_id}"))
    assert idea_path in links(thread_page)
    assert "This thread became an idea" in shown(thread_page)
    response = await linus.post(f"/discussions/{thread_id}/replies", {"body": "Late reply"})
    assert response.status_code == 409
    # A second conversion (by a maintainer, say) leads to the same idea.
    again = await grace.post(f"/discussions/{thread_id}/idea", {"board": "general"})
    assert again.headers["location"] == idea_path


async def test_maintainers_create_edit_and_reorder_categories_and_members_cannot(person, visitor):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    for someone in (linus, visitor):
        assert (await someone.get("/discussions/categories")).status_code == 403
        assert (await someone.post("/discussions/categories/new", {"name": "Ideas"})).status_code in (403,)
    response = await grace.post(
        "/discussions/categories/new", {"name": "Announcements", "kind": "plain", "position": "9"}
    )
    assert response.status_code == 303
    page = shown(await visitor.get("/discussions"))
    assert page.index("Lounge") < page.index("Announcements")
    response = await grace.post(
        "/discussions/categories/announcements/edit",
        {"name": "News", "slug": "news", "kind": "plain", "position": "0"},
    )
    assert response.status_code == 303
    page = shown(await visitor.get("/discussions"))
    assert page.index("Q&A") < page.index("News") < page.index("Show and tell")
    assert (await visitor.get("/discussions/c/announcements")).status_code == 404
    for data, message in (
        ({"name": "Q", "kind": "plain"}, "Name needs at least 2"),
        ({"name": "Dup", "slug": "lounge", "kind": "plain"}, "Another category has that address"),
        ({"name": "Weird", "kind": "chat"}, "Choose one of the kinds"),
        ({"name": "New", "slug": "new", "kind": "plain"}, "taken by the site"),
        ({"name": "Pos", "kind": "plain", "position": "-3"}, "Position must be a whole number"),
    ):
        response = await grace.post("/discussions/categories/new", data)
        assert response.status_code == 400 and message in shown(response), data


async def test_an_accepted_answer_counts_for_its_author_in_the_directory_and_shows_on_the_profile(person, visitor):
    ada = await person("ada")
    grace = await person("grace")
    linus = await person("linus")
    thread_id = await start_thread(ada, "Where do plugins live?")
    welcome = (await linus.get("/welcome")).text
    assert "Open questions you could answer" in shown(welcome) and "Where do plugins live?" in shown(welcome)

    first = await reply(grace, thread_id, "In the plugins folder.")
    second = await reply(linus, thread_id, "Under extensions/, since 2.0.")
    await ada.post(f"/discussions/{thread_id}/accept", {"reply": str(first)})
    await ada.post(f"/discussions/{thread_id}/accept", {"reply": str(second)})  # she changes her mind

    directory = links(await visitor.get("/people"))
    assert directory.index("/people/linus") < directory.index("/people/grace")
    profile = parsed(await visitor.get("/people/linus"))
    assert "Accepted answers" in shown(profile)
    assert [href for href in links(profile) if href.endswith(f"#reply-{second}")]
    assert "Accepted answers" not in shown(await visitor.get("/people/grace"))
    assert "Where do plugins live?" not in shown(await linus.get("/welcome"))


async def test_replies_in_a_followed_thread_show_in_the_follower_s_activity_feed(person):
    ada = await person("ada")
    grace = await person("grace")
    thread_id = await start_thread(ada, "Which editor plugin?")  # the asker follows her thread
    reply_id = await reply(grace, thread_id, "The one in the docs.")

    feed = (await ada.get("/activity")).text

    assert "replied in the discussion" in shown(feed) and "Which editor plugin?" in shown(feed)
    assert f"/discussions/{thread_id}#reply-{reply_id}" in links(feed)
    assert "replied in the discussion" not in shown(await grace.get("/activity"))  # her own reply
