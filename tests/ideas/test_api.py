"""Scripts using the ideas API: the same lists, rules and counters as the site."""

from datetime import timedelta

import sqlalchemy as sa

from ideas.tables import boards, idea_events, ideas, votes
from portal.db import utcnow
from tests.api_client import api_client, create_token, error_of
from tests.pages import links, shown


async def _walk(script, path: str) -> list[int]:
    """Every idea id of a list, page after page, following next_cursor."""
    seen, cursor = [], None
    for _ in range(20):
        separator = "&" if "?" in path else "?"
        response = await script.get(f"{path}{separator}after={cursor}" if cursor else path)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [idea["id"] for idea in page["ideas"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("the cursor never ended")


async def test_a_script_shares_reads_and_edits_an_idea(app, db, person):
    ada = await person("ada")
    async with api_client(app, await create_token(ada)) as script:
        created = await script.post(
            "/api/v1/ideas", json={"title": "  Dark   mode ", "body": "For **late** evenings.", "board": "general"}
        )
        assert created.status_code == 201
        idea = created.json()
        assert created.headers["location"] == f"/api/v1/ideas/{idea['id']}"
        assert idea["title"] == "Dark mode" and idea["body_html"] == "<p>For <strong>late</strong> evenings.</p>\n"
        assert idea["author"]["username"] == "ada" and idea["board"]["slug"] == "general"
        assert idea["status"] == "open" and idea["vote_count"] == 0 and idea["voted"] is False

        edited = await script.patch(f"/api/v1/ideas/{idea['id']}", json={"title": "Dark mode everywhere"})
        assert edited.status_code == 200
        assert edited.json()["title"] == "Dark mode everywhere" and edited.json()["body"] == "For **late** evenings."
        assert edited.json()["edited_at"] is not None
        unknown = await script.patch(f"/api/v1/ideas/{idea['id']}", json={"status": "shipped"})
        assert unknown.status_code == 400 and error_of(unknown)["field"] == "status"
    page = await ada.get(f"/ideas/{idea['id']}")
    assert "Dark mode everywhere" in shown(page)
    # The site lists it like any other idea.
    assert (await db.fetch_val(sa.select(boards.c.idea_count).where(boards.c.slug == "general"))) == 1


async def test_editing_someone_elses_idea_follows_the_sites_rules(app, db, person):
    ada = await person("ada")
    bob = await person("bob")
    grace = await person("grace", role="maintainer")
    idea_id = await ada.submit_idea("Export to CSV")
    async with api_client(app, await create_token(bob)) as script:
        refused = await script.patch(f"/api/v1/ideas/{idea_id}", json={"title": "Bob's idea now"})
    assert refused.status_code == 403 and "ask a maintainer" in error_of(refused)["message"]

    async with api_client(app, await create_token(grace)) as script:
        fixed = await script.patch(
            f"/api/v1/ideas/{idea_id}", json={"title": "Export to CSV and JSON", "edit_note": "Merged the asks."}
        )
    assert fixed.status_code == 200
    event = await db.fetch_one(sa.select(idea_events).where(idea_events.c.idea_id == idea_id))
    assert event["kind"] == "edit" and event["note"] == "Merged the asks."

    # Past the edit window the author is refused too.
    await db.execute(ideas.update().where(ideas.c.id == idea_id).values(created_at=utcnow() - timedelta(days=2)))
    async with api_client(app, await create_token(ada)) as script:
        late = await script.patch(f"/api/v1/ideas/{idea_id}", json={"body": "more"})
    assert late.status_code == 403


async def test_votes_are_idempotent_follow_the_board_rules_and_counts_equal_rows(app, db, person):
    grace = await person("grace", role="maintainer")
    await grace.post("/boards/new", {"name": "Sprint picks", "slug": "sprint", "vote_budget": "1"})
    voters = [await person(name) for name in ("ada", "bob", "cy", "dee")]
    tokens = [await create_token(someone) for someone in voters]
    async with api_client(app, tokens[0]) as script:
        general = [
            (await script.post("/api/v1/ideas", json={"title": f"General idea {n}"})).json()["id"] for n in range(3)
        ]
        sprint = [
            (await script.post("/api/v1/ideas", json={"title": f"Sprint idea {n}", "board": "sprint"})).json()["id"]
            for n in range(2)
        ]

    for token in tokens:
        async with api_client(app, token) as script:
            for idea_id in general:
                first = await script.put(f"/api/v1/ideas/{idea_id}/vote")
                again = await script.put(f"/api/v1/ideas/{idea_id}/vote")
                assert first.status_code == again.status_code == 200
                assert first.json()["vote_count"] == again.json()["vote_count"]
            assert (await script.put(f"/api/v1/ideas/{sprint[0]}/vote")).status_code == 200
            over_budget = await script.put(f"/api/v1/ideas/{sprint[1]}/vote")
            assert over_budget.status_code == 409 and "all 1 of your votes" in error_of(over_budget)["message"]
    async with api_client(app, tokens[0]) as script:
        taken_back = await script.delete(f"/api/v1/ideas/{general[0]}/vote")
        assert taken_back.json() == {"idea_id": general[0], "voted": False, "vote_count": 3}
        assert (await script.delete(f"/api/v1/ideas/{general[0]}/vote")).json()["vote_count"] == 3
        assert (await script.put("/api/v1/ideas/99999/vote")).status_code == 404

    await grace.post(f"/ideas/{general[1]}/status", {"status": "shipped", "note": "Done."})
    async with api_client(app, tokens[1]) as script:
        closed = await script.delete(f"/api/v1/ideas/{general[1]}/vote")
    assert closed.status_code == 409 and "shipped" in error_of(closed)["message"]

    rows = await db.fetch_all(
        sa.select(ideas.c.id, ideas.c.vote_count, sa.func.count(votes.c.user_id).label("rows"))
        .select_from(ideas.outerjoin(votes, votes.c.idea_id == ideas.c.id))
        .group_by(ideas.c.id, ideas.c.vote_count)
    )
    assert rows and all(row["vote_count"] == row["rows"] for row in rows)
    assert {row["id"]: row["rows"] for row in rows}[general[2]] == 4


async def test_lists_offer_the_sites_orders_and_filters_and_walk_every_page(app, db, person):
    ada = await person("ada")
    bob = await person("bob")
    grace = await person("grace", role="maintainer")
    ada_ids = [await ada.submit_idea(f"Ada's idea number {n}") for n in range(24)]
    bob_ids = [await bob.submit_idea(f"Bob's idea number {n}") for n in range(3)]
    for idea_id in ada_ids[:5]:
        await bob.vote(idea_id)
    await grace.post(f"/ideas/{bob_ids[0]}/status", {"status": "planned", "note": "Soon."})
    await grace.post(f"/ideas/{bob_ids[1]}/tags", {"tags": "mobile"})

    async with api_client(app, await create_token(bob, scope="read")) as script:
        newest = await _walk(script, "/api/v1/ideas?sort=new")
        assert newest == sorted(ada_ids + bob_ids, reverse=True)
        top = await _walk(script, "/api/v1/ideas?sort=top")
        assert sorted(top) == sorted(newest) and top[:5] == sorted(ada_ids[:5], reverse=True)
        for sort in ("trending", "discussed", "updated"):
            assert sorted(await _walk(script, f"/api/v1/ideas?sort={sort}")) == sorted(newest)

        first = (await script.get("/api/v1/ideas?sort=top")).json()
        assert len(first["ideas"]) == 20 and first["ideas"][0]["voted"] is True
        site = await bob.get("/?sort=top")
        hrefs = links(site)
        assert hrefs.index(f"/ideas/{top[0]}") < hrefs.index(f"/ideas/{top[5]}")

        assert await _walk(script, "/api/v1/ideas?author=bob&sort=new") == sorted(bob_ids, reverse=True)
        assert await _walk(script, "/api/v1/ideas?status=planned") == [bob_ids[0]]
        tagged = (await script.get("/api/v1/ideas?tag=mobile")).json()["ideas"]
        assert [idea["id"] for idea in tagged] == [bob_ids[1]] and tagged[0]["tags"] == [
            {"slug": "mobile", "name": "mobile"}
        ]
        assert len(await _walk(script, "/api/v1/ideas?board=general")) == 27
        for query, words in [
            ("board=nowhere", "no board"),
            ("board=%00evil", "no board"),
            ("author=%00evil", "no member"),
            ("author=nobody", "no member"),
            ("tag=unknown", "no tag"),
            ("status=done", "Unknown status"),
            ("after=garbage", "not valid"),
        ]:
            response = await script.get(f"/api/v1/ideas?{query}")
            assert response.status_code == 400 and words in error_of(response)["message"], query


async def test_comments_are_listed_page_by_page_and_added_as_on_the_site(app, db, person):
    ada = await person("ada")
    grace = await person("grace", role="maintainer")
    idea_id = await ada.submit_idea("Better search")
    async with api_client(app, await create_token(ada)) as script:
        for n in range(101):
            assert (
                await script.post(f"/api/v1/ideas/{idea_id}/comments", json={"body": f"Comment {n}"})
            ).status_code == 201
        empty = await script.post(f"/api/v1/ideas/{idea_id}/comments", json={"body": "   "})
        assert empty.status_code == 400 and error_of(empty)["field"] == "body"
        first = (await script.get(f"/api/v1/ideas/{idea_id}/comments")).json()
        second = (await script.get(f"/api/v1/ideas/{idea_id}/comments", params={"after": first["next_cursor"]})).json()
        assert len(first["comments"]) == 100 and len(second["comments"]) == 1 and second["next_cursor"] is None
        assert second["comments"][0]["body"] == "Comment 100"
        assert (await script.get("/api/v1/ideas/99999/comments")).status_code == 404
        assert (await script.get(f"/api/v1/ideas/{idea_id}/comments?after=x")).status_code == 400
    async with api_client(app, await create_token(grace)) as script:
        answer = (await script.post(f"/api/v1/ideas/{idea_id}/comments", json={"body": "We hear you."})).json()
    assert answer["author"]["role"] == "maintainer" and answer["body_html"] == "<p>We hear you.</p>\n"
    idea = await db.fetch_one(sa.select(ideas.c.comment_count, ideas.c.first_response_at).where(ideas.c.id == idea_id))
    assert idea["comment_count"] == 102 and idea["first_response_at"] is not None


async def test_only_maintainers_change_a_status_and_the_note_is_public(app, person):
    ada = await person("ada")
    grace = await person("grace", role="maintainer")
    idea_id = await ada.submit_idea("Two-factor sign-in")
    async with api_client(app, await create_token(ada)) as script:
        refused = await script.post(f"/api/v1/ideas/{idea_id}/status", json={"status": "planned", "note": "Mine!"})
    assert refused.status_code == 403
    async with api_client(app, await create_token(grace)) as script:
        planned = await script.post(f"/api/v1/ideas/{idea_id}/status", json={"status": "planned", "note": "Q3."})
        again = await script.post(f"/api/v1/ideas/{idea_id}/status", json={"status": "planned", "note": "Q3."})
        wrong = await script.post(f"/api/v1/ideas/{idea_id}/status", json={"status": "done", "note": "x"})
    assert planned.status_code == 200 and planned.json()["status"] == "planned"
    assert again.status_code == 409 and error_of(again)["field"] == "status"
    assert wrong.status_code == 400 and error_of(wrong)["field"] == "status"
    assert "Q3." in shown(await ada.get(f"/ideas/{idea_id}"))


async def test_boards_and_statuses(app, person, visitor):
    grace = await person("grace", role="maintainer")
    await grace.post("/boards/new", {"name": "Old stuff", "slug": "old", "is_archived": "on"})
    async with api_client(app) as script:
        listed = [board["slug"] for board in (await script.get("/api/v1/boards")).json()["boards"]]
        everything = [board["slug"] for board in (await script.get("/api/v1/boards?archived=true")).json()["boards"]]
        general = (await script.get("/api/v1/boards/general")).json()
        old = (await script.get("/api/v1/boards/old")).json()
        statuses = (await script.get("/api/v1/statuses")).json()["statuses"]
        assert (await script.get("/api/v1/boards/nowhere")).status_code == 404
    assert listed == ["general"] and set(everything) == {"general", "old"}
    assert general["vote_budget"] is None and general["closed_reason"] is None
    assert old["is_archived"] is True and "archived" in old["closed_reason"]
    assert [status["name"] for status in statuses][:2] == ["open", "under_review"]
    assert {status["name"] for status in statuses if not status["takes_votes"]} == {"shipped", "declined", "duplicate"}


async def test_mentions_through_the_api_notify_and_a_missing_member_is_refused(app, db, person):
    from portal.notifications.tables import notifications

    ada = await person("ada")
    await person("grace")
    async with api_client(app, await create_token(ada)) as script:
        refused = await script.post("/api/v1/ideas", json={"title": "Ask @nobody about this", "body": "Hi @nobody"})
        created = await script.post("/api/v1/ideas", json={"title": "Ask grace about this", "body": "Hi @grace"})
    assert refused.status_code == 400 and "@nobody" in error_of(refused)["message"]
    assert created.status_code == 201
    kinds = [row["kind"] for row in await db.fetch_all(sa.select(notifications.c.kind))]
    assert kinds == ["mention"]


async def test_a_vote_through_the_api_wakes_no_background_work(app, db, person, monkeypatch):
    from portal.jobs.runner import JobLoop

    wakes = []
    monkeypatch.setattr(JobLoop, "kick", lambda loop: wakes.append(loop))
    ada = await person("ada")
    idea_id = await ada.submit_idea("Quiet votes")
    token = await create_token(ada)  # which emails her, in case it was not her
    wakes.clear()
    async with api_client(app, token) as script:
        assert (await script.put(f"/api/v1/ideas/{idea_id}/vote")).status_code == 200
        assert (await script.delete(f"/api/v1/ideas/{idea_id}/vote")).status_code == 200
    assert wakes == []


async def test_a_script_searches_ideas_and_discussions_as_the_search_page_does(app, person):
    from tests.ideas.discussions.helpers import reply, start_thread

    linus = await person("linus")
    grace = await person("grace", role="maintainer")
    found_idea = await linus.submit_idea("Export to spreadsheets", "CSV first.")
    hidden_idea = await linus.submit_idea("Spreadsheet pills at spam.example")
    await grace.post("/moderation/act", {"kind": "idea", "id": str(hidden_idea), "action": "hide", "note": "Spam."})
    question = await start_thread(linus, "Importing data", "From where?")
    await reply(grace, question, "A spreadsheet works.")
    await start_thread(linus, "Dark theme", "Unrelated.")

    async with api_client(app) as anonymous:
        found = await anonymous.get("/api/v1/search", params={"q": "spreadsheets"})
        assert found.status_code == 200
        assert [idea["id"] for idea in found.json()["ideas"]] == [found_idea]
        [thread] = found.json()["threads"]
        assert thread["id"] == question and thread["url"] == f"/discussions/{question}"
        assert thread["answered"] is False and thread["reply_count"] == 1
        assert thread["category"]["slug"] == "q-and-a" and thread["author"]["username"] == "linus"
        for query in ({}, {"q": ""}, {"q": "   "}):
            refused = await anonymous.get("/api/v1/search", params=query)
            assert refused.status_code == 400, query
        assert (await anonymous.get("/api/v1/search", params={"q": "x" * 201})).status_code == 400
        empty = await anonymous.get("/api/v1/search", params={"q": '"; DROP TABLE ideas; --'})
        assert empty.status_code == 200 and empty.json() == {"ideas": [], "threads": [], "next_page": None}
    async with api_client(app, await create_token(grace, scope="read")) as moderator:
        seen = await moderator.get("/api/v1/search", params={"q": "spreadsheets"})
    assert sorted(idea["id"] for idea in seen.json()["ideas"]) == sorted([found_idea, hidden_idea])
