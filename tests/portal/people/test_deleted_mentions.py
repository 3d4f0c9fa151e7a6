"""Zelda deletes her account: the posts of others that @mentioned her say "deleted member" on
their pages, in the API, in both search indexes and in the database, while their other mentions
stay links."""

import email
import email.policy
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from ideas.discussions.tables import thread_replies
from portal import schema
from portal.db import utcnow
from portal.jobs.runner import run_due_jobs
from portal.mail.tables import outbox
from portal.mention_records import mentions
from portal.notifications.delivery import next_digest_at
from portal.notifications.tables import KINDS
from tests.api_client import api_client
from tests.ideas.discussions.helpers import reply, start_thread
from tests.portal.people.dump import traces
from tests.portal.people.zelda import ZELDA, sign_up_zelda


def mention_links(page: str) -> list[str]:
    return [link.attributes["href"] for link in HTMLParser(page).css("a.mention")]


def text_of(page: str, selector: str) -> str:
    return " ".join(node.text(separator=" ") for node in HTMLParser(page).css(selector))


def found(page: str) -> tuple[list[str], list[str]]:
    """The titles the search page lists: (ideas, discussions)."""
    titles = [(node.attributes["href"], node.text()) for node in HTMLParser(page).css("h2.idea-title a")]
    return tuple([title for href, title in titles if href.startswith(start)] for start in ("/ideas/", "/discussions/"))


async def test_others_mentions_of_a_deleted_member_say_deleted_member_everywhere(visitor, person, db, app, settings):
    linus = await person("linus")
    grace = await person("grace", role="maintainer")
    await sign_up_zelda(visitor)
    zelda = visitor
    idea_id = await linus.submit_idea("Merge view for sync conflicts", "As @zeldaquux said, a merge view. cc @grace")
    assert (await linus.comment(idea_id, "Thanks @ZeldaQuux, and @grace.")).status_code == 303
    assert (await zelda.comment(idea_id, "I am @zeldaquux; ask me about conflicts.")).status_code == 303
    thread_id = await start_thread(linus, "Offline sync", "@zeldaquux knows this best.", category="lounge")
    reply_id = await reply(grace, thread_id, "Agreed with @zeldaquux and @linus.")
    hidden_id = await reply(linus, thread_id, "Ping @zeldaquux again, quietly.")
    hide = {"kind": "reply", "id": str(hidden_id), "action": "hide", "note": "Off topic."}
    assert (await grace.post("/moderation/act", hide)).status_code == 303
    idea_page = (await visitor.get(f"/ideas/{idea_id}")).text
    assert "/people/zeldaquux" in mention_links(idea_page)  # linked while she is a member
    assert found((await visitor.get("/search?q=zeldaquux")).text) == (
        ["Merge view for sync conflicts"],
        ["Offline sync"],
    )
    assert ("mentions", "zeldaquux") not in traces(settings.database_url, ["zeldaquux"])  # ids, not names

    await zelda.get("/settings/data")
    assert (await zelda.post("/settings/data/delete", {"confirm_username": "zeldaquux"})).status_code == 200

    # The pages: no link to her, the words "deleted member", the other mentions still links.
    idea_page = (await visitor.get(f"/ideas/{idea_id}")).text
    assert mention_links(idea_page) == ["/people/grace", "/people/grace"]
    assert "As deleted member said, a merge view." in text_of(idea_page, ".prose")
    assert "Thanks deleted member, and" in text_of(idea_page, ".comment")
    assert "I am deleted member; ask me" in text_of(idea_page, ".comment")
    thread_page = (await visitor.get(f"/discussions/{thread_id}")).text
    assert mention_links(thread_page) == ["/people/linus"]
    assert "zeldaquux" not in idea_page.lower() + thread_page.lower()
    assert "deleted member knows this best." in HTMLParser(thread_page).body.text()

    # The API gives the same text and HTML.
    async with api_client(app) as client:
        idea = (await client.get(f"/api/v1/ideas/{idea_id}")).json()
        listed = (await client.get(f"/api/v1/ideas/{idea_id}/comments")).json()
    assert idea["body"] == "As deleted member said, a merge view. cc @grace"
    assert "zeldaquux" not in str(idea).lower() + str(listed).lower()
    assert "Thanks deleted member, and @grace." in [comment["body"] for comment in listed["comments"]]

    # Neither search index finds her name; the posts are found by their other words.
    assert found((await visitor.get("/search?q=zeldaquux")).text) == ([], [])
    assert found((await visitor.get("/search?q=merge+view")).text)[0] == ["Merge view for sync conflicts"]
    assert found((await visitor.get("/search?q=knows+best")).text)[1] == ["Offline sync"]

    # The hidden reply changed too, and stays out of search until a moderator shows it again.
    hidden = await db.fetch_val(sa.select(thread_replies.c.body).where(thread_replies.c.id == hidden_id))
    assert hidden == "Ping deleted member again, quietly."
    assert reply_id and await db.fetch_val(sa.select(sa.func.count()).select_from(mentions)) == 3  # grace x2, linus

    # And no table of either database, search tables included, holds her name any more.
    assert traces(settings.database_url, [ZELDA["username"], ZELDA["email"], ZELDA["display_name"]]) == []


async def test_a_thread_turned_into_an_idea_keeps_naming_whom_it_mentioned(visitor, person):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    await sign_up_zelda(visitor)
    thread_id = await start_thread(linus, "Sync button", "@zeldaquux asked for one.", category="lounge")
    converted = await grace.post(f"/discussions/{thread_id}/idea", {"board": "general"})
    assert converted.status_code == 303
    idea_path = converted.headers["location"]
    assert "/people/zeldaquux" in mention_links((await visitor.get(idea_path)).text)

    await visitor.get("/settings/data")
    assert (await visitor.post("/settings/data/delete", {"confirm_username": "zeldaquux"})).status_code == 200
    idea_page = (await visitor.get(idea_path)).text
    assert "deleted member asked for one." in text_of(idea_page, ".prose") and "zeldaquux" not in idea_page


def test_posts_written_before_0021_have_their_mentions_recorded(empty_database_url):
    """Authors' mentions of themselves and converted ideas were not recorded: the upgrade reads them."""
    config = schema.alembic_config(empty_database_url)
    command.upgrade(config, "0019")
    engine = sa.create_engine(schema.sync_url(empty_database_url))
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as connection:
        for user_id, name in ((1, "ada"), (2, "zeldaquux")):
            connection.execute(
                sa.text(
                    "INSERT INTO users (id, username, email, display_name, role, is_founder, created_at)"
                    " VALUES (:id, :name, :email, :name, 'member', false, :now)"
                ),
                {"id": user_id, "name": name, "email": f"{name}@example.org", "now": now},
            )
        body = "I am @ada; ask @ZeldaQuux or @nobody, not `@zeldaquux` in code."
        connection.execute(
            sa.text(
                "INSERT INTO ideas (id, board_id, author_id, title, body, body_html, status, created_at, updated_at)"
                " VALUES (1, 1, 1, 'An idea', :body, '', 'open', :now, :now)"
            ),
            {"body": body, "now": now},
        )
        connection.execute(
            sa.text(
                "INSERT INTO comments (id, idea_id, author_id, body, body_html, created_at)"
                " VALUES (1, 1, 2, 'No mention: zeldaquux@example.org', '', :now)"
            ),
            {"now": now},
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT target_kind, target_id, user_id FROM mentions ORDER BY user_id"))
        recorded = [tuple(row) for row in rows]
    engine.dispose()
    assert recorded == [("idea", 1, 1), ("idea", 1, 2)]


async def test_her_name_goes_from_code_spans_and_link_texts_the_page_does_not_link(visitor, person, settings):
    """Written as code, as a link's text or inside a link, @zeldaquux is not a mention the page
    links (so nobody was told, and no mention was recorded), but it is her name all the same."""
    linus = await person("linus")
    await sign_up_zelda(visitor)
    idea_id = await linus.submit_idea("Conflict markers", "Ask `@zeldaquux` about this.")
    bodies = [
        "Run `notify @ZeldaQuux` to page her.",
        "Her notes: [@zeldaquux](https://example.org/notes)",
        "```\n@zeldaquux wrote this\n```",
    ]
    for body in bodies:
        assert (await linus.comment(idea_id, body)).status_code == 303
    thread_id = await start_thread(linus, "Offline sync", "> quoting `@zeldaquux`", category="lounge")
    await reply(linus, thread_id, "See [her page](https://example.org/notes) and `@zeldaquux`.")

    await visitor.get("/settings/data")
    assert (await visitor.post("/settings/data/delete", {"confirm_username": "zeldaquux"})).status_code == 200

    idea_page = (await visitor.get(f"/ideas/{idea_id}")).text
    assert "Run notify deleted member to page her." in " ".join(text_of(idea_page, ".comment").split())
    assert "zeldaquux" not in idea_page.lower()
    assert traces(settings.database_url, ["@" + ZELDA["username"]]) == []


async def test_emails_that_quoted_her_name_leave_the_outbox_however_they_were_encoded(visitor, person, app, db):
    """A comment email quotes the comment; text mostly outside ASCII is sent base64-encoded
    (quoted-printable can break a name across lines), so her name is not in the stored text as typed."""
    root = await person("root", role="admin")
    ada, linus = await person("ada"), await person("linus")
    await sign_up_zelda(visitor)
    idea_id = await ada.submit_idea("Merge view for sync conflicts")
    greek = "Ευχαριστώ @zeldaquux για το σχέδιο: δείχνει και τις δύο πλευρές κάθε σύγκρουσης."
    assert (await linus.comment(idea_id, greek)).status_code == 303
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly, now=utcnow())

    def quoting_her() -> list[str]:
        found = []
        for row in rows:
            message = email.message_from_string(row["message"], policy=email.policy.default)
            if any("zeldaquux" in part.get_content().lower() for part in message.walk() if not part.is_multipart()):
                found.append(row["to_address"])
        return found

    rows = await db.fetch_all(sa.select(outbox))
    assert "ada@example.org" in quoting_her()  # the email to Ada quotes the comment, name and all

    await visitor.get("/settings/data")
    assert (await visitor.post("/settings/data/delete", {"confirm_username": "zeldaquux"})).status_code == 200
    rows = await db.fetch_all(sa.select(outbox))
    assert quoting_her() == []
    page = (await root.get("/admin/outbox")).text
    assert "zeldaquux" not in page.lower()


async def test_a_digest_that_named_her_leaves_the_outbox_however_it_was_encoded(visitor, person, app, db):
    """Ada's digest lists Zelda's comment by her name; an idea titled mostly outside ASCII makes
    the digest's text part base64, where a search of the stored text for her name finds nothing."""
    root = await person("root", role="admin")
    ada = await person("ada")
    choices = {f"email_{kind}": "daily" if kind == "comment" else "immediately" for kind in KINDS}
    assert (await ada.post("/settings/notifications", choices)).status_code == 303
    idea_id = await ada.submit_idea("Προβολή συγχώνευσης για τις συγκρούσεις συγχρονισμού των αρχείων")
    await sign_up_zelda(visitor)
    assert (await visitor.post(f"/ideas/{idea_id}/comments", {"body": "Ναι, παρακαλώ"})).status_code == 303
    now = utcnow()
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly, now=now)
    digest_time = next_digest_at(now, app.state.settings.digest_hour) + timedelta(minutes=1)
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly, now=digest_time)

    def naming_her() -> list[str]:
        named = []
        for row in rows:
            message = email.message_from_string(row["message"], policy=email.policy.default)
            texts = [str(message["Subject"])]
            texts += [part.get_content() for part in message.walk() if not part.is_multipart()]
            if any("quux" in text.lower() for text in texts):
                named.append(row["kind"])
        return named

    rows = await db.fetch_all(sa.select(outbox).where(outbox.c.to_address == "ada@example.org"))
    assert naming_her() == ["digest"]  # Zelda Quux-Marlowe commented on ...

    await visitor.get("/settings/data")
    assert (await visitor.post("/settings/data/delete", {"confirm_username": "zeldaquux"})).status_code == 200
    rows = await db.fetch_all(sa.select(outbox))
    assert naming_her() == []
    assert "quux" not in (await root.get("/admin/outbox")).text.lower()
