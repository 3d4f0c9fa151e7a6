"""A member downloads their data, then deletes their account: nothing personal is left anywhere."""

import json

import sqlalchemy as sa

from ideas import ranking
from ideas.tables import NO_VOTES_SCORE, board_follows, boards, comments, idea_follows, ideas, votes
from portal.accounts.tables import oauth_accounts, sessions, users
from portal.db import metadata, utcnow
from portal.notifications.tables import notifications
from portal.people import forgetting
from portal.people.tables import expertise_tags, profiles
from tests.people import PASSWORD

ZELDA = {"username": "zeldaquux", "email": "zelda.private@example.net", "display_name": "Zelda Quux-Marlowe"}


async def sign_up_zelda(visitor) -> None:
    await visitor.get("/signup")
    response = await visitor.post("/signup", {**ZELDA, "password": PASSWORD})
    assert response.status_code == 303
    await visitor.get("/settings/profile")  # a signed-in page, for the new session's form token


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
    return ideas_used


async def test_zelda_downloads_everything_she_wrote_and_her_votes(visitor, person, db):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    await sign_up_zelda(visitor)
    used = await zelda_takes_part(visitor, grace, linus, db)

    page = await visitor.get("/settings/data")
    assert page.status_code == 200 and 'href="/settings/data/export"' in page.text
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
        assert response.status_code == 400 and message in response.text
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(users).where(users.c.username == "zeldaquux")) == 1
    assert (await visitor.get("/settings/data")).status_code == 200  # still signed in


async def test_the_only_admin_cannot_delete_themselves_until_there_is_another(person, db):
    ada = await person("ada", role="admin", founder=True)
    await ada.get("/settings/data")
    refused = await ada.post("/settings/data/delete", {"confirm_username": "ada"})
    assert refused.status_code == 409 and "You are the only admin" in refused.text
    await person("grace", role="admin")
    deleted = await ada.post("/settings/data/delete", {"confirm_username": "ada"})
    assert deleted.status_code == 200 and "Your account is deleted" in deleted.text
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(users).where(users.c.username == "ada")) == 0


async def test_zelda_deletes_her_account_and_no_trace_of_her_is_left(visitor, person, db, app):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    await sign_up_zelda(visitor)
    used = await zelda_takes_part(visitor, grace, linus, db)
    zelda_id = await db.fetch_val(sa.select(users.c.id).where(users.c.username == "zeldaquux"))
    await db.execute(
        oauth_accounts.insert().values(
            provider="github", subject="998877", user_id=zelda_id, email=ZELDA["email"], created_at=utcnow()
        )
    )
    needles = [ZELDA["email"], ZELDA["username"], ZELDA["display_name"], "zelda"]
    before = {table for table, _, _ in await find_traces(db, needles)}
    assert {"users", "oauth_accounts", "profiles"} <= before  # the scan does find her
    general_ideas_before = await db.fetch_val(sa.select(boards.c.idea_count).where(boards.c.slug == "general"))

    await visitor.get("/settings/data")
    response = await visitor.post("/settings/data/delete", {"confirm_username": "ZeldaQuux"})
    assert response.status_code == 200 and "Your account is deleted" in response.text
    assert "Zelda" not in response.text  # signed out already
    assert (await visitor.get("/settings/data")).status_code == 303
    await visitor.get("/signin")
    relogin = await visitor.post("/signin", {"login": "zeldaquux", "password": PASSWORD})
    assert relogin.status_code == 400

    # Her posts stay, under "deleted member".
    her_idea = await visitor.get(f"/ideas/{used['hers']}")
    assert "Offline mode for field work" in her_idea.text and "deleted member" in her_idea.text
    assert "This would help on night shifts." in (await visitor.get(f"/ideas/{used['open']}")).text
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
    assert await db.fetch_val(sa.select(boards.c.idea_count).where(boards.c.slug == "general")) == general_ideas_before
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(expertise_tags)) == 0  # "Graphs" was hers
    for table in (sessions, oauth_accounts, notifications, idea_follows, board_follows, profiles):
        column = table.c.user_id
        assert await db.fetch_val(sa.select(sa.func.count()).select_from(table).where(column == zelda_id)) == 0

    # No text or JSON column of any table, including tables other domains add later, names her.
    assert await find_traces(db, needles) == []


async def find_traces(db, needles: list[str]) -> list[tuple[str, str, str]]:
    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, sa.String | sa.Text | sa.JSON):
                continue
            as_text = sa.func.lower(sa.cast(column, sa.Text))
            for needle in needles:
                hit = sa.select(sa.func.count()).select_from(table).where(as_text.like(f"%{needle.lower()}%"))
                if await db.fetch_val(hit):
                    found.append((table.name, column.name, needle))
    return found


async def test_every_reference_to_members_is_cleared_or_cascades():
    """A table added later with a plain reference to users is cleared by the generic step;
    one that keeps counters must register a forget hook (see portal/people/forgetting.py)."""
    assert forgetting.forget_votes in forgetting.FORGET_HOOKS
    assert forgetting.forget_reactions in forgetting.FORGET_HOOKS
    plain = [
        (table.name, key.parent.name)
        for table in metadata.sorted_tables
        for key in table.foreign_keys
        if key.column is users.c.id and not key.ondelete
    ]
    assert all(metadata.tables[name].c[column].nullable for name, column in plain), plain


async def test_another_domain_registers_its_own_cleanup_and_export(person, db):
    """What a domain added later (discussions, git links) does to take part in "your data"."""
    linus = await person("linus")
    await person("grace", role="admin")
    calls = []

    @forgetting.forget_hook
    async def forget_threads(db, user_id: int) -> None:
        # Runs inside the deletion's transaction, while the member's row still exists.
        calls.append(await db.fetch_val(sa.select(users.c.username).where(users.c.id == user_id)))

    @forgetting.export_section("threads")
    async def export_threads(db, user_id: int) -> list:
        return [{"title": "A thread", "by": user_id}]

    try:
        download = await linus.get("/settings/data/export")
        assert json.loads(download.text)["threads"] == [{"title": "A thread", "by": linus.id}]
        await linus.get("/settings/data")
        assert (await linus.post("/settings/data/delete", {"confirm_username": "linus"})).status_code == 200
        assert calls == ["linus"]
    finally:
        forgetting.FORGET_HOOKS.remove(forget_threads)
        del forgetting.EXPORT_SECTIONS["threads"]
