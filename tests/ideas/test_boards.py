"""Boards, campaigns and vote budgets, as maintainers set them up and members meet them."""

import re
from datetime import timedelta

import sqlalchemy as sa

from ideas import board_queries, queries
from ideas.tables import boards, ideas
from portal.db import utcnow
from tests.pages import links, one, shown, texts, tree, values


async def board_named(db, slug):
    return await db.fetch_one(sa.select(boards).where(boards.c.slug == slug))


def votes_left(page) -> str:
    """What a member reads of the votes they have left ("You have 2 left"), checking the number is in bold."""
    for paragraph in tree(page).css("p"):
        said = re.search(r"[Yy]ou have (\d+) left", " ".join(paragraph.text().split()))
        if said:
            assert texts(paragraph, "strong") == [said.group(1)]
            return said.group(0)
    return ""


async def test_a_maintainer_creates_renames_orders_and_archives_boards(person, visitor, db):
    grace = await person("grace", role="maintainer")
    created = await grace.post("/boards/new", {"name": "Mobile app", "description": "iOS and Android", "position": "5"})
    assert created.status_code == 303 and created.headers["location"] == "/boards/mobile-app"
    await grace.post("/boards/new", {"name": "Docs", "slug": "docs", "position": "1"})

    listed = shown(await visitor.get("/boards"))
    assert listed.index("General") < listed.index("Docs") < listed.index("Mobile app")

    renamed = await grace.post(
        "/boards/mobile-app/edit", {"name": "Mobile apps", "slug": "mobile", "position": "0", "is_archived": "on"}
    )
    assert renamed.status_code == 303
    board = await board_named(db, "mobile")
    assert board["name"] == "Mobile apps" and board["is_archived"]
    assert "Mobile apps" not in shown(await visitor.get("/boards"))
    assert "Mobile apps" in shown(await grace.get("/boards"))  # maintainers still see archived boards
    assert (await visitor.get("/boards/mobile-app")).status_code == 404


async def test_members_and_visitors_cannot_manage_boards(person, visitor, db):
    linus = await person("linus")
    assert (await linus.get("/boards/new")).status_code == 403
    assert (await linus.post("/boards/new", {"name": "Mine"})).status_code == 403
    assert (await linus.post("/boards/general/edit", {"name": "Hijacked"})).status_code == 403
    assert (await visitor.post("/boards/new", {"name": "Mine"})).status_code == 403
    assert (await board_named(db, "general"))["name"] == "General"
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(boards)) == 1


async def test_bad_board_input_is_explained_and_nothing_is_written(person, db):
    grace = await person("grace", role="maintainer")
    response = await grace.post(
        "/boards/new",
        {"name": "X", "slug": "Bad Slug!", "position": "-3", "vote_budget": "0", "opens_at": "tomorrow"},
    )
    assert response.status_code == 400
    text = shown(response)
    assert "Name needs at least 2 characters" in text
    assert "Use lower-case letters, digits" in text
    assert "Position must be a whole number" in text
    assert "Votes per member must be a whole number from 1" in text
    assert "Opens on must be a date like 2026-12-31" in text
    assert values(response)["slug"] == "Bad Slug!"
    taken = await grace.post("/boards/new", {"name": "General"})
    assert taken.status_code == 400 and "Another board has that address" in shown(taken)
    campaign = await grace.post(
        "/boards/new",
        {"name": "Q1", "campaign_question": "What first?", "opens_at": "2027-02-01", "closes_at": "2027-01-01"},
    )
    assert "The closing date cannot come before the opening date" in shown(campaign)
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(boards)) == 1


async def test_ideas_are_filed_on_a_board_and_lists_filter_by_board(person, visitor, db):
    grace = await person("grace", role="maintainer")
    await grace.post("/boards/new", {"name": "Docs"})
    linus = await person("linus")
    in_docs = await linus.post("/ideas/new", {"title": "A tutorial for beginners", "board": "docs", "confirmed": "1"})
    assert in_docs.status_code == 303
    await linus.submit_idea("Faster search")
    unknown = await linus.post("/ideas/new", {"title": "Lost in space", "board": "nowhere", "confirmed": "1"})
    assert unknown.status_code == 400 and "Choose one of the boards" in shown(unknown)

    docs_page = (await visitor.get("/boards/docs")).text
    assert "A tutorial for beginners" in shown(docs_page) and "Faster search" not in shown(docs_page)
    home = (await visitor.get("/")).text
    assert "A tutorial for beginners" in shown(home) and "Faster search" in shown(home)
    assert (await board_named(db, "docs"))["idea_count"] == 1
    assert (await board_named(db, "general"))["idea_count"] == 1


async def test_an_archived_board_takes_no_ideas_or_votes(person, db):
    grace = await person("grace", role="maintainer")
    await grace.post("/boards/new", {"name": "Old stuff"})
    linus = await person("linus")
    await linus.post("/ideas/new", {"title": "Something old", "board": "old-stuff", "confirmed": "1"})
    idea_id = await db.fetch_val(sa.select(sa.func.max(ideas.c.id)))
    await grace.post("/boards/old-stuff/edit", {"name": "Old stuff", "is_archived": "on"})

    refused = await linus.post("/ideas/new", {"title": "Another old thing", "board": "old-stuff", "confirmed": "1"})
    assert refused.status_code == 400 and "This board is archived" in shown(refused)
    vote = await linus.vote(idea_id)
    assert vote.status_code == 409 and "archived" in shown(vote)
    assert await db.fetch_val(sa.select(ideas.c.vote_count).where(ideas.c.id == idea_id)) == 0


async def test_a_campaign_is_open_between_its_dates_then_shows_what_it_gathered(person, visitor, db):
    grace = await person("grace", role="maintainer")
    today = utcnow().date()
    response = await grace.post(
        "/boards/new",
        {
            "name": "Version 3",
            "campaign_question": "What should version 3 focus on?",
            "opens_at": str(today - timedelta(days=7)),
            "closes_at": str(today),
        },
    )
    assert response.status_code == 303
    linus = await person("linus")
    margaret = await person("margaret")
    await linus.post("/ideas/new", {"title": "Plugins everywhere", "board": "version-3", "confirmed": "1"})
    idea_id = await db.fetch_val(sa.select(sa.func.max(ideas.c.id)))
    assert (await margaret.vote(idea_id)).status_code == 303
    page = (await visitor.get("/boards/version-3")).text
    assert "What should version 3 focus on?" in shown(page) and f"to {today}" in shown(page)

    # The campaign's last day ends.
    board = await board_named(db, "version-3")
    await board_queries.update_board(db, board["id"], closes_at=utcnow() - timedelta(seconds=1))
    late_idea = await linus.post("/ideas/new", {"title": "One more thing", "board": "version-3", "confirmed": "1"})
    assert late_idea.status_code == 400 and "This campaign is closed" in shown(late_idea)
    late_vote = await linus.vote(idea_id)
    assert late_vote.status_code == 409 and "campaign is closed" in shown(late_vote)
    page = (await visitor.get("/boards/version-3")).text
    assert (
        "What this campaign gathered" in shown(page) and "1 idea and 1 vote" in shown(page) and "Open: 1" in shown(page)
    )


async def test_a_campaign_not_yet_open_takes_nothing(person, db):
    grace = await person("grace", role="maintainer")
    start = utcnow().date() + timedelta(days=3)
    await grace.post(
        "/boards/new",
        {
            "name": "Later",
            "campaign_question": "Soon?",
            "opens_at": str(start),
            "closes_at": str(start + timedelta(days=5)),
        },
    )
    refused = await grace.post("/ideas/new", {"title": "Too early here", "board": "later", "confirmed": "1"})
    assert refused.status_code == 400 and f"opens on {start}" in shown(refused)


async def test_a_vote_budget_limits_votes_and_shipped_ideas_give_votes_back(person, db):
    grace = await person("grace", role="maintainer")
    await grace.post("/boards/new", {"name": "Priorities", "vote_budget": "2"})
    linus = await person("linus")
    titles = ["First priority", "Second priority", "Third priority"]
    for title in titles:
        await grace.post("/ideas/new", {"title": title, "board": "priorities", "confirmed": "1"})
    first, second, third = [await db.fetch_val(sa.select(ideas.c.id).where(ideas.c.title == title)) for title in titles]
    page = (await linus.get("/boards/priorities")).text
    assert votes_left(page) == "You have 2 left"

    await linus.vote(first)
    await linus.vote(second)
    assert votes_left(await linus.get("/boards/priorities")) == "You have 0 left"
    assert votes_left(await linus.get(f"/ideas/{third}")) == "you have 0 left"
    refused = await linus.vote(third)
    assert refused.status_code == 409 and "used all 2 of your votes on this board" in shown(refused)
    assert (await linus.vote(first)).status_code == 303  # voting again for the same idea is not a new vote
    assert await db.fetch_val(sa.select(ideas.c.vote_count).where(ideas.c.id == third)) == 0

    shipped = await grace.post(f"/ideas/{first}/status", {"status": "planned", "note": "Next."})
    assert shipped.status_code == 303
    await queries.change_status(db, idea_id=first, actor_id=grace.id, status="shipped", note="Done", note_html="")
    assert votes_left(await linus.get("/boards/priorities")) == "You have 1 left"
    assert (await linus.vote(third)).status_code == 303
    assert await db.fetch_val(sa.select(ideas.c.vote_count).where(ideas.c.id == first)) == 1


async def test_the_home_page_links_the_open_boards_in_order_with_or_without_ideas(person, visitor):
    grace = await person("grace", role="maintainer")
    await grace.post("/boards/new", {"name": "Mobile app", "position": "5"})
    await grace.post("/boards/new", {"name": "Docs", "slug": "docs", "position": "1"})
    await grace.post("/boards/new", {"name": "Attic", "slug": "attic", "position": "2"})
    await grace.post("/boards/attic/edit", {"name": "Attic", "slug": "attic", "position": "2", "is_archived": "on"})

    def board_links(page) -> list[str]:
        return [href.removeprefix("/boards/") for href in links(one(page, "nav.board-links"), 'a[href^="/boards/"]')]

    empty = (await visitor.get("/")).text  # no idea yet: the boards are read on their own
    assert board_links(empty) == ["general", "docs", "mobile-app"]
    await grace.submit_idea("An idea on the home page", "With the boards beside it.")
    for viewer in (visitor, grace):
        assert board_links((await viewer.get("/")).text) == ["general", "docs", "mobile-app"]
