"""A member downloads their data, then deletes their account: nothing personal is left anywhere."""

import json
import re

import sqlalchemy as sa

from ideas import forgetting as idea_forgetting
from ideas import ranking
from ideas.discussions.tables import thread_replies, threads
from ideas.tables import NO_VOTES_SCORE, board_follows, boards, comments, idea_follows, ideas, votes
from portal.accounts.tables import oauth_accounts, sessions, users
from portal.accounts.token_queries import token_hash
from portal.app import DOMAINS
from portal.db import metadata, utcnow
from portal.domains import Assembly, Domain
from portal.notifications.tables import notifications
from portal.people import export
from portal.people.tables import expertise_tags, profiles
from tests.api_client import api_client, create_token
from tests.ideas.discussions.helpers import reply, start_thread
from tests.pages import links, shown
from tests.people import PASSWORD
from tests.portal.people.dump import traces
from tests.portal.people.zelda import ZELDA, sign_up_zelda

ASSEMBLY = Assembly.of(DOMAINS)


async def zelda_takes_part(zelda, grace, linus, db) -> dict[str, int]:
    """Zelda writes, votes, reacts and follows; returns the ideas involved."""
    await zelda.post(
        "/settings/profile",
        {
            "display_name": ZELDA["display_name"],
            "bio": "Consultant.",
            "expertise": "Graphs",
            "links": "https://zq.example.net",
            "for_hire": "on",
            "hire_contact": ZELDA["email"],
        },
    )
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    await zelda.client.post(
        "/settings/profile/avatar", data={"csrf_token": zelda.csrf}, files={"avatar": ("z.png", png)}
    )
    ideas_used = {
        "hers": await zelda.submit_idea("Offline mode for field work", "Trains have no network."),
        "open": await linus.submit_idea("Dark mode for the dashboard"),
        "shipped": await linus.submit_idea("Export reports as CSV"),
    }
    for idea_id in ideas_used.values():
        assert (await zelda.vote(idea_id)).status_code == 303
        await linus.vote(idea_id)
    await grace.post(f"/ideas/{ideas_used['shipped']}/status", {"status": "shipped", "note": "Out now."})
    await zelda.comment(ideas_used["open"], "This would help on night shifts.")
    await linus.comment(ideas_used["hers"], "Good point about trains.")
    await zelda.post(f"/ideas/{ideas_used['open']}/react", {"reaction": "heart", "on": "1"})
    await linus.post(f"/ideas/{ideas_used['open']}/react", {"reaction": "heart", "on": "1"})
    comment_id = await db.fetch_val(
        sa.select(sa.func.max(comments.c.id)).where(comments.c.idea_id == ideas_used["hers"])
    )
    await zelda.post(f"/comments/{comment_id}/react", {"reaction": "rocket", "on": "1"})
    await zelda.post("/boards/general/follow", {"follow": "1"})
    await linus.comment(ideas_used["open"], "Agreed.")  # Zelda follows it: she gets a notification
    # Others name her in what they write; she reacts in a discussion.
    await linus.comment(ideas_used["hers"], "@zeldaquux, does this need a sync button?")  # others name her
    return ideas_used


async def zelda_discusses(zelda, grace, linus) -> tuple[int, int]:
    """Others name Zelda in a discussion and she reacts to it; returns the thread and the reply."""
    thread_id = await start_thread(linus, "Working on trains", "Tips for @zeldaquux and others?", category="lounge")
    reply_id = await reply(grace, thread_id, "Ask @zeldaquux, she wrote the idea.")
    assert (await zelda.post(f"/discussions/{thread_id}/react", {"reaction": "heart", "on": "1"})).status_code == 303
    react = await zelda.post(f"/discussions/replies/{reply_id}/react", {"reaction": "rocket", "on": "1"})
    assert react.status_code == 303
    return thread_id, reply_id


async def test_zelda_downloads_everything_she_wrote_and_her_votes(visitor, person, db):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    await sign_up_zelda(visitor)
    used = await zelda_takes_part(visitor, grace, linus, db)

    page = await visitor.get("/settings/data")
    assert page.status_code == 200 and "/settings/data/export" in links(page)
    download = await visitor.get("/settings/data/export")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/json")
    assert download.headers["content-disposition"].startswith('attachment; filename="roundtable-zeldaquux-')
    data = json.loads(download.text)
    assert data["account"]["email"] == ZELDA["email"] and data["account"]["username"] == "zeldaquux"
    assert data["profile"]["expertise"] == ["Graphs"] and data["profile"]["has_uploaded_avatar"] is True
    assert [idea["title"] for idea in data["ideas"]] == ["Offline mode for field work"]
    assert [comment["body"] for comment in data["comments"]] == ["This would help on night shifts."]
    assert sorted(vote["idea_id"] for vote in data["votes"]) == sorted(used.values())
    assert {reaction["reaction"] for reaction in data["reactions"]} == {"heart", "rocket"}
    assert data["following"]["boards"] == ["general"]


async def test_a_wrong_confirmation_deletes_nothing(visitor, person, db):
    await sign_up_zelda(visitor)
    await visitor.get("/settings/data")
    for typed, message in (("", "Your username is required"), ("zelda", "Type your username, zeldaquux, exactly")):
        response = await visitor.post("/settings/data/delete", {"confirm_username": typed})
        assert response.status_code == 400 and message in shown(response)
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(users).where(users.c.username == "zeldaquux")) == 1
    assert (await visitor.get("/settings/data")).status_code == 200  # still signed in


async def test_the_only_admin_cannot_delete_themselves_until_there_is_another(person, db):
    ada = await person("ada", role="admin", founder=True)
    await ada.get("/settings/data")
    refused = await ada.post("/settings/data/delete", {"confirm_username": "ada"})
    assert refused.status_code == 409 and "You are the only admin" in shown(refused)
    await person("grace", role="admin")
    deleted = await ada.post("/settings/data/delete", {"confirm_username": "ada"})
    assert deleted.status_code == 200 and "Your account is deleted" in shown(deleted)
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(users).where(users.c.username == "ada")) == 0


async def test_zelda_deletes_her_account_and_no_trace_of_her_is_left(visitor, person, db, settings):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    await sign_up_zelda(visitor)
    used = await zelda_takes_part(visitor, grace, linus, db)
    thread_id, reply_id = await zelda_discusses(visitor, grace, linus)
    zelda_id = await db.fetch_val(sa.select(users.c.id).where(users.c.username == "zeldaquux"))
    await db.execute(
        oauth_accounts.insert().values(
            provider="github", subject="998877", user_id=zelda_id, email=ZELDA["email"], created_at=utcnow()
        )
    )
    needles = [ZELDA["email"], ZELDA["username"], ZELDA["display_name"], "zelda"]
    before = {table for table, _ in traces(settings.database_url, needles)}
    # The dump does find her, in the search tables too (others mention her).
    assert {"users", "oauth_accounts", "profiles", "comments", "thread_replies"} <= before
    assert {"search_documents", "search_documents_threads"} <= before
    general_ideas_before = await db.fetch_val(sa.select(boards.c.idea_count).where(boards.c.slug == "general"))

    await visitor.get("/settings/data")
    response = await visitor.post("/settings/data/delete", {"confirm_username": "ZeldaQuux"})
    assert response.status_code == 200 and "Your account is deleted" in shown(response)
    assert "Zelda" not in response.text  # signed out already
    assert (await visitor.get("/settings/data")).status_code == 303
    await visitor.get("/signin")
    relogin = await visitor.post("/signin", {"login": "zeldaquux", "password": PASSWORD})
    assert relogin.status_code == 400

    # Her posts stay, under "deleted member".
    her_idea = await visitor.get(f"/ideas/{used['hers']}")
    assert "Offline mode for field work" in shown(her_idea) and "deleted member" in shown(her_idea)
    assert "This would help on night shifts." in shown(await visitor.get(f"/ideas/{used['open']}"))
    assert (await visitor.get("/people/zeldaquux")).status_code == 404

    # Her votes and reactions are gone and every count agrees with the rows.
    for idea_id in used.values():
        idea = await db.fetch_one(sa.select(ideas).where(ideas.c.id == idea_id))
        rows = await db.fetch_all(sa.select(votes.c.created_at).where(votes.c.idea_id == idea_id))
        assert idea["vote_count"] == len(rows) == 1
        expected = ranking.score_of([ranking.vote_weight_exponent(row["created_at"]) for row in rows])
        assert abs(idea["trending_score"] - expected) < 1e-9 and idea["trending_score"] > NO_VOTES_SCORE
    assert (await db.fetch_one(sa.select(ideas.c.reaction_counts).where(ideas.c.id == used["open"])))[
        "reaction_counts"
    ] == {"heart": 1}
    assert all(row["reaction_counts"] == {} for row in await db.fetch_all(sa.select(comments.c.reaction_counts)))
    assert await db.fetch_val(sa.select(threads.c.reaction_counts).where(threads.c.id == thread_id)) == {}
    assert await db.fetch_val(sa.select(thread_replies.c.reaction_counts).where(thread_replies.c.id == reply_id)) == {}
    assert await db.fetch_val(sa.select(boards.c.idea_count).where(boards.c.slug == "general")) == general_ideas_before
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(expertise_tags)) == 0  # "Graphs" was hers
    for table in (sessions, oauth_accounts, notifications, idea_follows, board_follows, profiles):
        column = table.c.user_id
        assert await db.fetch_val(sa.select(sa.func.count()).select_from(table).where(column == zelda_id)) == 0

    # No row of any table names her: a full dump of the database, including tables other domains
    # add later, the search tables the migrations alone create, and the search indexes' terms.
    assert traces(settings.database_url, needles) == []


async def test_every_reference_to_members_is_cleared_or_cascades():
    """A table added later with a plain reference to users is cleared by the generic step;
    one that keeps counters must list a forget hook in its Domain (see portal/people/forgetting.py)."""
    assert idea_forgetting.forget_votes in ASSEMBLY.forget_hooks
    assert idea_forgetting.forget_reactions in ASSEMBLY.forget_hooks
    plain = [
        (table.name, key.parent.name)
        for table in metadata.sorted_tables
        for key in table.foreign_keys
        if key.column is users.c.id and not key.ondelete
    ]
    assert all(metadata.tables[name].c[column].nullable for name, column in plain), plain


async def test_another_domain_registers_its_own_cleanup_and_export(app, person, db):
    """What a domain added later does to take part in "your data": its Domain lists them."""
    linus = await person("linus")
    await person("grace", role="admin")
    calls = []

    async def forget_pins(db, user_id: int) -> None:
        # Runs inside the deletion's transaction, while the member's row still exists.
        calls.append(await db.fetch_val(sa.select(users.c.username).where(users.c.id == user_id)))

    async def export_pins(db, user_id: int) -> list:
        return [{"title": "A pin", "by": user_id}]

    pins = Domain("pins", forget_hooks=[forget_pins], export_sections={"pins": export.section(export_pins)})
    app.state.assembly = Assembly.of([*app.state.assembly.domains, pins])
    download = await linus.get("/settings/data/export")
    assert json.loads(download.text)["pins"] == [{"title": "A pin", "by": linus.id}]
    await linus.get("/settings/data")
    assert (await linus.post("/settings/data/delete", {"confirm_username": "linus"})).status_code == 200
    assert calls == ["linus"]


# A column refers to members when it is a foreign key to users.id or is named as such columns are.
_MEMBER_COLUMN = re.compile(r"(^|_)(user|author|member|actor|owner|creator|editor|voter|by)(_id)?$")


def member_columns(tables: sa.MetaData) -> set[str]:
    return {
        f"{table.name}.{column.name}"
        for table in tables.sorted_tables
        for column in table.columns
        if any(key.target_fullname == "users.id" for key in column.foreign_keys)
        or (table.name != "users" and _MEMBER_COLUMN.search(column.name))
        or table.name == "users"  # the member's own row, every column of it
    }


def undecided(tables: sa.MetaData) -> set[str]:
    """Member columns neither in the download nor left out with a reason."""
    return member_columns(tables) - export.covered_columns(ASSEMBLY.export_sections, ASSEMBLY.export_left_out)


def test_every_column_referring_to_members_is_downloaded_or_left_out_with_a_reason():
    """A table added later that refers to members fails here until its domain decides: an
    export section that covers it, or a line in its export_left_out saying why not."""
    found = member_columns(metadata)
    assert {"threads.author_id", "thread_replies.author_id", "api_tokens.user_id", "votes.user_id"} <= found
    assert {"users.suspension_reason", "users.email_verified_at", "users.password_hash"} <= found
    assert undecided(metadata) == set()
    covered = export.covered_columns(ASSEMBLY.export_sections, ASSEMBLY.export_left_out)
    assert covered <= found, "a section or a left-out line names a column that does not exist"
    assert all(reason.strip() for reason in ASSEMBLY.export_left_out.values())
    sections = ASSEMBLY.export_sections.values()
    assert not set(ASSEMBLY.export_left_out) & {name for section in sections for name in section.covers}


def test_a_new_table_referring_to_members_is_undecided_until_listed():
    tables = sa.MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(tables)
    sa.Table(
        "pins", tables, sa.Column("id", sa.Integer, primary_key=True), sa.Column("pinned_by", sa.ForeignKey("users.id"))
    )
    sa.Table("drafts", tables, sa.Column("id", sa.Integer, primary_key=True), sa.Column("author_id", sa.Integer))
    assert undecided(tables) == {"pins.pinned_by", "drafts.author_id"}
    ASSEMBLY.export_left_out["pins.pinned_by"] = "a test's reason"
    try:
        assert undecided(tables) == {"drafts.author_id"}
    finally:
        del ASSEMBLY.export_left_out["pins.pinned_by"]


async def test_zelda_downloads_her_threads_replies_and_tokens_and_nothing_private_of_others(visitor, person, app):
    linus = await person("linus")
    await sign_up_zelda(visitor)
    zelda = visitor
    hers = await start_thread(zelda, "Field notes offline", "Paper first, then sync.", category="lounge")
    his = await start_thread(linus, "Keyboard shortcuts", "Which ones do you use?", category="lounge")
    assert (await zelda.post(f"/discussions/{his}/react", {"reaction": "heart", "on": "1"})).status_code == 303
    her_reply = await reply(zelda, his, "Ctrl-K for search.")
    await reply(linus, his, "Reach me on 555-0100 for the list.")
    await reply(linus, hers, "I keep mine in a notebook too.")
    her_token = await create_token(zelda, name="notes sync script", scope="read")
    his_token = await create_token(linus, name="his deploy bot")
    async with api_client(app, her_token) as script:
        assert (await script.get("/api/v1/ideas")).status_code == 200

    download = await zelda.get("/settings/data/export")
    data = json.loads(download.text)
    assert [(thread["id"], thread["title"], thread["body"]) for thread in data["threads"]] == [
        (hers, "Field notes offline", "Paper first, then sync.")
    ]
    assert [(item["id"], item["thread_id"], item["body"]) for item in data["replies"]] == [
        (her_reply, his, "Ctrl-K for search.")
    ]
    [token] = data["api_tokens"]
    assert set(token) == {"name", "scope", "created_at", "expires_at", "last_used_at", "revoked_at", "revoked_reason"}
    assert token["name"] == "notes sync script" and token["scope"] == "read" and token["last_used_at"]
    assert {"thread_id": his, "reaction": "heart"}.items() <= data["reactions"][0].items()
    assert {(item["thread_id"], item["following"]) for item in data["following"]["threads"]} == {
        (hers, True),
        (his, True),
    }
    # Never a token or its hash; nothing Linus wrote or owns, not even his name.
    text = download.text.lower()
    for secret in (her_token, token_hash(her_token), his_token, token_hash(his_token)):
        assert secret.lower() not in text
    for his_words in ("linus", "555-0100", "notebook", "his deploy bot"):
        assert his_words not in text


async def test_a_suspended_member_downloads_her_suspension_and_when_her_address_was_confirmed(person):
    grace = await person("grace", role="admin")
    mallory = await person("mallory")
    assert (await grace.post("/moderation/members/mallory/suspend", {"days": "3", "note": "spam"})).status_code == 303
    document = (await mallory.get("/settings/data/export")).json()
    account = document["account"]
    assert account["suspension_reason"] == "spam" and account["suspended_until"]
    assert account["email_verified_at"]
    assert "password_hash" not in account and "unread_notifications" not in account
