"""Discussions found by the search page: thread titles, first posts and replies; hidden ones not."""

import re

from ideas.discussions import search as discussion_search
from tests.ideas.discussions.helpers import reply, start_thread
from tests.pages import form, has, link_to, one, shown, tree


def threads_found(page) -> list[str]:
    return [
        " ".join(node.text().split())
        for node in tree(page).css("h2.idea-title a[href]")
        if re.fullmatch(r"/discussions/\d+", node.attributes["href"])
    ]


def rel(page, name: str) -> list[tuple[str, str]]:
    return [(node.attributes["href"], node.text(strip=True)) for node in tree(page).css(f'a[rel="{name}"]')]


async def test_search_finds_threads_by_title_first_post_and_reply_and_follows_edits(person, visitor):
    linus = await person("linus")
    ada = await person("ada")
    titled = await start_thread(linus, "Importing from a spreadsheet", "Which columns are needed?")
    posted = await start_thread(ada, "Moving from another tool", "Our spreadsheet has 4,000 rows.")
    replied = await start_thread(ada, "Getting started")
    await reply(linus, replied, "A spreadsheet template helps.")
    await start_thread(linus, "Dark theme", "Unrelated words.")

    listing = (await visitor.get("/discussions")).text
    assert has(form(listing, "/search"), '[name="q"]')
    page = (await visitor.get("/search?q=spreadsheet")).text
    # The title match ranks first; ideas and discussions have a section each.
    found = threads_found(page)
    assert found[0] == "Importing from a spreadsheet"
    assert sorted(found[1:]) == ["Getting started", "Moving from another tool"]
    assert "No idea or comment matches" in shown(page) and "All the discussions that match" not in shown(page)
    assert threads_found((await visitor.get("/search?q=spreadsheet+template")).text) == ["Getting started"]
    assert threads_found((await visitor.get("/search?q=column")).text) == ["Importing from a spreadsheet"]  # stems

    edited = await linus.post(
        f"/discussions/{titled}/edit", {"title": "Importing from Excel", "body": "Which columns?"}
    )
    assert edited.status_code == 303
    page = (await visitor.get("/search?q=spreadsheet")).text
    assert sorted(threads_found(page)) == ["Getting started", "Moving from another tool"]
    assert threads_found((await visitor.get("/search?q=excel")).text) == ["Importing from Excel"]
    assert posted  # the thread found by its first post


async def test_hidden_replies_and_threads_are_not_found_by_those_who_cannot_read_them(person, visitor, db):
    linus = await person("linus")
    grace = await person("grace", role="maintainer")
    thread_id = await start_thread(linus, "Plugins", "How do plugins load?")
    reply_id = await reply(linus, thread_id, "Call 555-0100, or see spamvertised dot example.")
    assert threads_found((await visitor.get("/search?q=spamvertised")).text) == ["Plugins"]

    hide = {"kind": "reply", "id": str(reply_id), "action": "hide", "note": "Personal data."}
    assert (await grace.post("/moderation/act", hide)).status_code == 303
    for searcher in (visitor, linus, grace):
        assert threads_found((await searcher.get("/search?q=spamvertised")).text) == []
    # Its author may not edit it while it is hidden; a maintainer may, and that does not put it back.
    assert (await linus.post(f"/discussions/replies/{reply_id}/edit", {"body": "Mine."})).status_code == 403
    edit = await grace.post(
        f"/discussions/replies/{reply_id}/edit", {"body": "Still spamvertised.", "edit_note": "Phone number removed."}
    )
    assert edit.status_code == 303
    await discussion_search.rebuild_index(db)
    assert threads_found((await visitor.get("/search?q=spamvertised")).text) == []
    restore = {"kind": "reply", "id": str(reply_id), "action": "restore", "note": "Fine."}
    assert (await grace.post("/moderation/act", restore)).status_code == 303
    assert threads_found((await visitor.get("/search?q=still+spamvertised")).text) == ["Plugins"]

    hide = {"kind": "thread", "id": str(thread_id), "action": "hide", "note": "Spam."}
    assert (await grace.post("/moderation/act", hide)).status_code == 303
    assert threads_found((await visitor.get("/search?q=plugins")).text) == []
    assert threads_found((await linus.get("/search?q=plugins")).text) == []
    assert threads_found((await grace.get("/search?q=plugins")).text) == ["Plugins"]


async def test_a_word_in_every_thread_scores_only_a_window_of_the_newest(person, visitor):
    linus = await person("linus")
    for number in range(30):
        await start_thread(linus, f"Widget question {number}")
    page = (await visitor.get("/search?q=widget")).text
    # The ideas' first page shows the best five threads and links to the rest.
    assert len(threads_found(page)) == 5
    assert link_to(page, "All the discussions that match") == "/search?q=widget&in=discussions"
    first = (await visitor.get("/search?q=widget&in=discussions")).text
    assert len(threads_found(first)) == 20
    assert rel(first, "next") == [("/search?q=widget&in=discussions&page=2", "More discussions")]
    second = (await visitor.get("/search?q=widget&in=discussions&page=2")).text
    assert len(threads_found(second)) == 10 and not rel(second, "next")
    assert rel(second, "prev") == [("/search?q=widget&in=discussions", "Better matches")]
    assert sorted(threads_found(first) + threads_found(second)) == sorted(f"Widget question {n}" for n in range(30))
    # The search box of the discussions page searches discussions.
    listing = (await visitor.get("/discussions")).text
    assert one(listing, 'input[name="in"]').attributes == {"type": "hidden", "name": "in", "value": "discussions"}
