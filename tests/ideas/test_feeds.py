"""Atom feeds of what is new, found the way feed readers find them: a link in the page's <head>."""

import re

import feedparser
import pytest
import sqlalchemy as sa
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from ideas import feed_queries
from ideas.discussions.tables import discussion_categories
from tests.ideas.discussions.helpers import start_thread
from tests.roadmap.helpers import draft

ATOM = "application/atom+xml"


async def feed_of(someone, page_path: str) -> tuple[str, feedparser.FeedParserDict]:
    """The page's Atom alternate, fetched and parsed; fails unless there is exactly one and it is valid."""
    page = await someone.get(page_path)
    assert page.status_code == 200, page_path
    head = HTMLParser(page.text).head
    links = [node.attributes for node in head.css(f'link[rel="alternate"][type="{ATOM}"]')]
    assert len(links) == 1 and links[0].get("title"), (page_path, links)
    response = await someone.get(links[0]["href"])
    assert response.status_code == 200 and response.headers["content-type"].startswith(ATOM), links[0]["href"]
    assert "@example.org" not in response.text  # no member's address, ever
    feed = feedparser.parse(response.text)
    assert not feed.bozo, (links[0]["href"], feed.get("bozo_exception"))
    return links[0]["href"], feed


async def test_pages_link_their_feeds_and_the_feeds_show_what_is_new_and_not_hidden(person, visitor):
    grace = await person("grace", role="admin")
    linus = await person("linus")
    assert (await grace.post("/boards/new", {"name": "Design", "slug": "design"})).status_code == 303
    general = await linus.submit_idea("Faster start-up", "It takes **ten** seconds <script>x</script>")
    await linus.post("/ideas/new", {"title": "Dark theme", "body": "", "board": "design", "confirmed": "1"})
    spam = await linus.submit_idea("Cheap watches")
    await grace.post("/moderation/act", {"kind": "idea", "id": str(spam), "action": "hide", "note": "Spam."})
    await start_thread(linus, "How do I export votes?")
    rude = await start_thread(linus, "You are all wrong")
    await grace.post("/moderation/act", {"kind": "thread", "id": str(rude), "action": "hide", "note": "Rude."})
    await start_thread(linus, "Show: my theme", category="show-and-tell")
    await grace.post(f"/ideas/{general}/status", {"status": "planned", "note": "Soon."})
    await draft(grace, general, "planned")
    await grace.post("/roadmap/publish", {"summary": "First."})

    expected = {
        "/": ["Dark theme", "Faster start-up"],
        "/boards/design": ["Dark theme"],
        "/boards/general": ["Faster start-up"],
        "/discussions/c/q-and-a": ["How do I export votes?"],
        f"/ideas/{general}": ["Open → Planned"],
        "/roadmap": ["Roadmap publication #1"],
        "/roadmap/publications/1": ["Roadmap publication #1"],
        "/changelog": [],
    }
    for page_path, titles in expected.items():
        href, feed = await feed_of(visitor, page_path)
        assert [entry.title for entry in feed.entries] == titles, (page_path, href)
        assert all(entry.link.startswith("http://testserver/") for entry in feed.entries)

    _, ideas_feed = await feed_of(visitor, "/")
    start_up = ideas_feed.entries[1]
    assert start_up.author == "Linus" and start_up.link == f"http://testserver/ideas/{general}"
    assert "<strong>ten</strong>" in start_up.content[0].value and "<script>" not in start_up.content[0].value
    assert (await visitor.get("/boards/nowhere.atom")).status_code == 404
    assert (await visitor.get("/discussions/c/nowhere.atom")).status_code == 404
    # The discussions page of every category has no single feed to offer.
    assert not HTMLParser((await visitor.get("/discussions")).text).head.css(f'link[type="{ATOM}"]')


async def test_a_feed_holds_the_newest_fifty(person, visitor):
    linus = await person("linus")
    for number in range(feed_queries.FEED_SIZE + 1):
        await linus.post("/ideas/new", {"title": f"Idea number {number}", "body": "", "confirmed": "1"})
    _, feed = await feed_of(visitor, "/")
    assert len(feed.entries) == feed_queries.FEED_SIZE == 50
    assert feed.entries[0].title == "Idea number 50" and feed.entries[-1].title == "Idea number 1"


def compiled(db, query: sa.Select) -> str:
    dialect = sa.dialects.sqlite.dialect() if db.is_sqlite else sa.dialects.postgresql.dialect()
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


@pytest.mark.parametrize("feed", ["ideas", "board", "category"])
async def test_each_feed_reads_an_index_without_sorting(feed, db):
    category_id = await db.fetch_val(sa.select(sa.func.min(discussion_categories.c.id)))
    query = {
        "ideas": feed_queries.latest_ideas_query(),
        "board": feed_queries.latest_ideas_query(board_id=1),
        "category": feed_queries.latest_threads_query(category_id),
    }[feed]
    await db.execute(sa.text("ANALYZE"))
    if db.is_sqlite:
        plan = " | ".join(row[3] for row in await db.fetch_all(sa.text("EXPLAIN QUERY PLAN " + compiled(db, query))))
        assert "TEMP B-TREE" not in plan, plan
        if feed != "ideas":  # all ideas newest first is the table's own order: a scan LIMIT stops
            assert re.search(r"SCAN (ideas|threads)(?! USING)", plan) is None, plan
    else:
        async with db.transaction():
            await db.execute(sa.text("SET LOCAL enable_seqscan = off"))
            rows = await db.fetch_all(sa.text("EXPLAIN " + compiled(db, query)))
        plan = " | ".join(row[0] for row in rows)
        assert re.search(r"Seq Scan on (ideas|threads)|Sort\b", plan) is None, plan


async def test_a_character_xml_forbids_in_one_post_does_not_break_the_feeds_it_is_in(person, visitor):
    # U+FFFE and U+FFFF pass the forms (they are not controls) but XML 1.0 has no place for them:
    # written out as they are, one title would make every feed it is in unreadable.
    grace = await person("grace", role="admin")
    linus = await person("linus")
    idea = await linus.submit_idea("Odd title\ufffe", "A body \uffff with them")
    await start_thread(linus, "A thread \uffff too")
    await grace.post(f"/ideas/{idea}/status", {"status": "planned", "note": "Noted \uffff."})
    for page_path in ("/", "/boards/general", "/discussions/c/q-and-a", f"/ideas/{idea}"):
        _, feed = await feed_of(visitor, page_path)
        assert feed.entries and not {"\ufffe", "\uffff"} & set(str(feed)), page_path
    _, ideas_feed = await feed_of(visitor, "/")
    assert ideas_feed.entries[0].title == "Odd title"
