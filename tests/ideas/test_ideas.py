"""Ideas end to end: submitting, the ranked home page, voting, comments, bad input."""

import asyncio
import re

import sqlalchemy as sa

from ideas.tables import comments, ideas, votes
from tests.pages import has, links, one, parsed, shown, texts, tree, values


async def vote_rows(db, idea_id: int) -> int:
    return await db.fetch_val(sa.select(sa.func.count()).select_from(votes).where(votes.c.idea_id == idea_id))


async def stored_count(db, idea_id: int) -> int:
    return await db.fetch_val(sa.select(ideas.c.vote_count).where(ideas.c.id == idea_id))


def titles(page) -> list[str]:
    return texts(page, "h2.idea-title a[href]")


def next_page(page) -> str | None:
    """Where the page's rel=next link goes, as a path."""
    found = links(page, 'a[rel="next"]')
    return found[0].replace("http://testserver", "") if found else None


async def test_a_member_submits_an_idea_and_everyone_can_read_it(person, visitor):
    linus = await person("linus")
    idea_id = await linus.submit_idea("Dark mode for the dashboard", "Easier on the **eyes** at night.")

    page = await visitor.get(f"/ideas/{idea_id}")
    assert page.status_code == 200
    assert texts(page, "h1") == ["Dark mode for the dashboard"]
    assert texts(page, ".prose strong") == ["eyes"]
    assert "Linus" in shown(page)
    assert "Dark mode for the dashboard" in shown(await visitor.get("/"))


async def test_markdown_is_sanitized(person, visitor):
    mallory = await person("mallory")
    idea_id = await mallory.submit_idea(
        "Totally harmless idea",
        "<script>alert(1)</script>\n\n[click](javascript:alert(2)) <img src=x onerror=alert(3)>\n\n[ok](https://example.org)",
    )
    body = one(await visitor.get(f"/ideas/{idea_id}"), ".prose")
    assert not has(body, "script") and "<script>" in shown(body)  # shown as text, never run
    assert not [href for href in links(body) if href.lower().startswith("javascript")]
    assert not has(body, "img")
    [ok] = [node for node in body.css("a") if node.text() == "ok"]
    assert ok.attributes == {"href": "https://example.org", "rel": "nofollow ugc noopener noreferrer"}


async def test_submitting_bad_input_explains_and_keeps_the_text(person, db):
    margaret = await person("margaret")
    response = await margaret.post("/ideas/new", {"title": "  ", "body": "My long\ndescription", "confirmed": "1"})
    assert response.status_code == 400
    assert "Title is required" in shown(response, "#title-error")
    assert values(response)["body"] == "My long\ndescription"

    too_long = await margaret.post("/ideas/new", {"title": "x" * 201, "body": "y" * 20001, "confirmed": "1"})
    assert "at most 200 characters" in shown(too_long) and "at most 20000 characters" in shown(too_long)
    assert values(too_long)["title"] == "x" * 201
    huge = await margaret.post("/ideas/new", {"title": "A fine title", "body": "b" * 100_000, "confirmed": "1"})
    assert huge.status_code == 400 and "at most 20000 characters (this has 100000)" in shown(huge)
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(ideas)) == 0


async def test_strange_text_is_stored_safely_not_refused_with_a_500(person, visitor):
    alan = await person("alan")
    idea_id = await alan.submit_idea("Null\x00 bytes and ünïcödé 🎉 \x07", "line\r\nbreak\x00")
    page = (await visitor.get(f"/ideas/{idea_id}")).text
    assert "Null bytes and ünïcödé 🎉" in shown(page)
    for odd in ({"title": ["a", "b"]}, {"title": "é" * 5000}, {"unexpected": "field"}):
        response = await alan.post("/ideas/new", odd)
        assert response.status_code in (303, 400), odd


async def test_visitors_are_sent_to_sign_in_before_posting(visitor, person):
    grace = await person("grace")
    idea_id = await grace.submit_idea("Something to vote on")
    new = await visitor.get("/ideas/new")
    assert new.status_code == 303 and new.headers["location"].startswith("/signin?next=%2Fideas%2Fnew")
    voting = await visitor.vote(idea_id)
    assert voting.status_code == 303 and "/signin?next=" in voting.headers["location"]
    commenting = await visitor.comment(idea_id, "hello")
    assert commenting.status_code == 303 and "/signin?next=" in commenting.headers["location"]


async def test_a_member_votes_and_takes_the_vote_back(person, db):
    linus = await person("linus")
    barbara = await person("barbara")
    idea_id = await linus.submit_idea("Export reports as CSV")

    response = await barbara.vote(idea_id)
    assert response.status_code == 303 and response.headers["location"] == f"/ideas/{idea_id}"
    page = parsed(await barbara.get(f"/ideas/{idea_id}"))
    assert has(page, '[aria-pressed="true"]') and texts(page, "span.vote-count[data-vote-count]") == ["1"]
    assert await stored_count(db, idea_id) == await vote_rows(db, idea_id) == 1

    again = await barbara.vote(idea_id)
    assert again.status_code == 303
    assert await stored_count(db, idea_id) == await vote_rows(db, idea_id) == 1

    await barbara.vote(idea_id, on=False)
    page = parsed(await barbara.get(f"/ideas/{idea_id}"))
    assert has(page, '[aria-pressed="false"]') and texts(page, "span.vote-count[data-vote-count]") == ["0"]
    await barbara.vote(idea_id, on=False)
    assert await stored_count(db, idea_id) == await vote_rows(db, idea_id) == 0


async def test_a_vote_sent_by_script_gets_json(person):
    linus = await person("linus")
    idea_id = await linus.submit_idea("Keyboard shortcuts")
    response = await linus.vote(idea_id, headers={"accept": "application/json"})
    assert response.json() == {"idea_id": idea_id, "voted": True, "vote_count": 1}


async def test_a_founders_or_maintainers_vote_weighs_what_a_members_does(person, db):
    ada = await person("ada", role="admin", founder=True)
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    idea_id = await linus.submit_idea("Faster start-up")
    for someone in (ada, grace, linus):
        await someone.vote(idea_id)
    assert await stored_count(db, idea_id) == await vote_rows(db, idea_id) == 3


async def test_the_home_page_ranks_by_votes_or_newest_and_shows_my_votes(person, visitor):
    ada = await person("ada", founder=True)
    members = [await person(name) for name in ("linus", "margaret", "alan")]
    first = await ada.submit_idea("First idea")
    second = await ada.submit_idea("Second idea")
    third = await ada.submit_idea("Third idea")
    for voter in members:
        await voter.vote(second)
    await members[0].vote(first)

    top = await visitor.get("/")
    assert titles(top) == ["Second idea", "First idea", "Third idea"]
    assert titles(await visitor.get("/?sort=new")) == ["Third idea", "Second idea", "First idea"]

    mine = await members[0].get("/")
    pressed = [
        (button.attributes["aria-pressed"], one(button, ".visually-hidden").text().removeprefix(" for "))
        for button in tree(mine).css("button[aria-pressed]")
    ]
    assert pressed == [("true", "Second idea"), ("true", "First idea"), ("false", "Third idea")]
    assert third


async def test_pages_are_keyset_paginated_and_ties_break_by_newest(person, visitor):
    ada = await person("ada")
    for number in range(45):
        await ada.submit_idea(f"Idea number {number:02d}")
    seen: list[str] = []
    url = "/?sort=top"
    while url:
        page = parsed(await visitor.get(url))
        seen += titles(page)
        url = next_page(page)
    assert seen == [f"Idea number {n:02d}" for n in reversed(range(45))]


async def test_bad_list_parameters_get_a_clear_400(visitor):
    for query in ("sort=best", "after=abc", "sort=top&after=1", "sort=new&after=-1", "after=99999999999999999999.1"):
        response = await visitor.get(f"/?{query}")
        assert response.status_code == 400, query
        assert "not valid" in shown(response) or "Unknown order" in shown(response)


async def test_unknown_ideas_and_addresses_get_a_404_page(visitor, person):
    linus = await person("linus")
    for path in ("/ideas/424242", "/ideas/99999999999999999999999", "/ideas/abc", "/ideas/0", "/nowhere"):
        response = await visitor.get(path)
        assert response.status_code == 404, path
        assert texts(response, "h1") == ["Not found"]
    assert (await linus.vote(424242)).status_code == 404
    assert (await linus.comment(424242, "hello?")).status_code == 404


async def test_a_bad_vote_value_is_refused(person, db):
    linus = await person("linus")
    idea_id = await linus.submit_idea("Translate the interface")
    response = await linus.post(f"/ideas/{idea_id}/vote", {"vote": "2"})
    assert response.status_code == 400 and "vote=1" in shown(response)
    assert await vote_rows(db, idea_id) == 0


async def test_members_discuss_an_idea_in_comments(person, visitor, db):
    linus = await person("linus")
    grace = await person("grace", role="maintainer")
    idea_id = await linus.submit_idea("Plugin API")
    response = await grace.comment(idea_id, "We could start with **importers**.")
    assert response.status_code == 303
    assert re.search(rf"/ideas/{idea_id}#comment-\d+$", response.headers["location"])
    await linus.comment(idea_id, "Great, I can help.")

    page = parsed(await visitor.get(f"/ideas/{idea_id}"))
    assert "2 comments" in shown(page)
    assert [shown(comment, ".prose").strip() for comment in page.css("li.comment")] == [
        "We could start with importers.",
        "Great, I can help.",
    ]
    assert texts(page, "li.comment .prose strong") == ["importers"]
    assert await db.fetch_val(sa.select(ideas.c.comment_count).where(ideas.c.id == idea_id)) == 2
    assert "2 comments" in shown(await visitor.get("/"))


async def test_an_empty_comment_is_refused_and_nothing_is_written(person, db):
    linus = await person("linus")
    idea_id = await linus.submit_idea("Plugin API")
    response = await linus.comment(idea_id, "   ")
    assert response.status_code == 400
    assert "Comment is required" in shown(response, "#body-error")
    too_long = await linus.comment(idea_id, "z" * 10001)
    assert too_long.status_code == 400 and values(too_long)["body"].endswith("z" * 10001)
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(comments)) == 0
    assert await db.fetch_val(sa.select(ideas.c.comment_count).where(ideas.c.id == idea_id)) == 0


async def test_many_members_voting_at_once_never_lose_or_double_a_vote(app, db):
    from tests.people import Person

    author = await Person.create(app, "author")
    author_session = author
    await author_session.sign_in()
    idea_id = await author_session.submit_idea("A popular idea")
    voters = [await Person.create(app, f"voter{n}") for n in range(40)]
    await asyncio.gather(*(voter.sign_in() for voter in voters))

    responses = await asyncio.gather(
        *(voter.vote(idea_id) for voter in voters), *(voter.vote(idea_id) for voter in voters)
    )
    assert all(response.status_code == 303 for response in responses)
    assert await stored_count(db, idea_id) == await vote_rows(db, idea_id) == 40

    half = voters[:20]
    responses = await asyncio.gather(
        *(voter.vote(idea_id, on=False) for voter in half), *(v.comment(idea_id, "me too") for v in voters)
    )
    assert all(response.status_code == 303 for response in responses)
    assert await stored_count(db, idea_id) == await vote_rows(db, idea_id) == 20
    assert await db.fetch_val(sa.select(ideas.c.comment_count).where(ideas.c.id == idea_id)) == 40
    for someone in (author, *voters):
        await someone.close()


async def test_a_long_discussion_is_paged_and_a_new_comment_lands_on_its_page(person, visitor, monkeypatch):
    from ideas import comment_queries

    monkeypatch.setattr(comment_queries, "PAGE_SIZE", 3)
    linus = await person("linus")
    idea_id = await linus.submit_idea("A busy discussion")
    for number in range(7):
        response = await linus.comment(idea_id, f"Comment number {number}")
    assert re.search(rf"/ideas/{idea_id}\?after=\d+#comment-\d+$", response.headers["location"])
    last_page = (await visitor.get(response.headers["location"].split("#")[0])).text
    assert "Comment number 6" in shown(last_page) and "Comment number 5" not in shown(last_page)

    seen, url = [], f"/ideas/{idea_id}"
    while url:
        page = parsed(await visitor.get(url))
        seen += re.findall(r"Comment number (\d)", shown(page))
        url = next_page(page)
        url = url.split("#")[0] if url else None
    assert seen == [str(n) for n in range(7)]


async def test_a_visitor_who_only_reads_gets_no_cookie_and_a_vote_link_to_sign_in(person, visitor):
    ada = await person("ada")
    idea_id = await ada.submit_idea("Readable without a cookie")

    home = await visitor.get("/")
    idea_page = await visitor.get(f"/ideas/{idea_id}")
    signin_page = await visitor.get("/signin")

    assert "set-cookie" not in home.headers and "set-cookie" not in idea_page.headers
    assert not has(home, '[name="csrf-token"]')
    assert links(home, "a.vote-button") == ["/signin?next=%2F"]
    assert "set-cookie" in signin_page.headers  # a form to post: now the session holds a token


async def test_a_vote_reads_its_form_as_any_form_is_read(person):
    """Votes read a url-encoded body with the standard library (portal.forms.posted_fields): the
    same fields as Starlette's parser, the last of a name winning; a multipart vote works too."""
    ada = await person("ada")
    bob = await person("bob")
    idea_id = await ada.submit_idea("Forms of every kind")
    await bob.get(f"/ideas/{idea_id}")
    twice = await bob.client.post(
        f"/ideas/{idea_id}/vote",
        content=f"vote=0&csrf_token={bob.csrf}&vote=1&next=%2Fideas%2F{idea_id}%3Fsort%3Dtop".encode(),
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "application/json"},
    )
    assert twice.json() == {"idea_id": idea_id, "voted": True, "vote_count": 1}
    back = await bob.client.post(
        f"/ideas/{idea_id}/vote",
        content=f"csrf_token={bob.csrf}&vote=0&next=%2Fideas%2F{idea_id}%3Fsort%3Dtop".encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert back.status_code == 303 and back.headers["location"] == f"/ideas/{idea_id}?sort=top"
    multipart = await bob.client.post(
        f"/ideas/{idea_id}/vote",
        files={"csrf_token": (None, bob.csrf), "vote": (None, "1")},
        headers={"accept": "application/json"},
    )
    assert multipart.json()["vote_count"] == 1
    odd = await bob.client.post(
        f"/ideas/{idea_id}/vote",
        content=f"csrf_token={bob.csrf}&vote=%FF".encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert odd.status_code == 400 and "vote=1" in shown(odd)
