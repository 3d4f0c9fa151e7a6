"""Personal API tokens: created in settings and shown once, hashed at rest, scoped, expiring, revocable;
and how a request proves who it is (token or cookie, never both, CSRF for cookie writes)."""

import hashlib
from datetime import timedelta

import sqlalchemy as sa

from ideas.tables import votes
from portal.accounts.tables import api_tokens, users
from portal.db import utcnow
from tests.api_client import api_client, create_token, error_of
from tests.pages import links, shown, values


async def _vote_rows(db, idea_id: int) -> int:
    return await db.fetch_val(sa.select(sa.func.count()).select_from(votes).where(votes.c.idea_id == idea_id))


async def test_a_token_is_shown_once_kept_as_its_hash_and_listed_with_its_last_use(app, db, person):
    ada = await person("ada")
    settings_page = await ada.get("/settings/accounts")
    assert "/settings/tokens" in links(settings_page)

    token = await create_token(ada, name="release script", scope="read")
    assert token.startswith("rt_") and len(token) > 40

    row = await db.fetch_one(sa.select(api_tokens).where(api_tokens.c.user_id == ada.id))
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(dict(row._mapping).values())
    page = await ada.get("/settings/tokens")
    assert token not in page.text and "release script" in shown(page) and "read only" in shown(page)
    assert "never" in shown(page)

    async with api_client(app, token) as script:
        used = await script.get("/api/v1/ideas")
        missing = await script.get("/api/v1/nothing")
    assert used.status_code == 200 and missing.status_code == 404
    assert "set-cookie" not in used.headers and "set-cookie" not in missing.headers  # a script needs no session
    assert (await db.fetch_one(sa.select(api_tokens.c.last_used_at)))["last_used_at"] is not None
    assert "just now" in shown(await ada.get("/settings/tokens"))


async def test_a_bad_token_form_keeps_what_was_typed_and_creates_nothing(db, person):
    ada = await person("ada")
    response = await ada.post("/settings/tokens", {"name": "deploy bot", "scope": "admin", "expires_on": "2001-01-01"})
    assert response.status_code == 400
    assert values(response)["name"] == "deploy bot"
    assert "Choose whether the token may only read or also write." in shown(response)
    assert "Choose a day after today" in shown(response)
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(api_tokens)) == 0


async def test_revoked_expired_and_unknown_tokens_get_401_json(app, db, person):
    ada = await person("ada")
    bob = await person("bob")
    kept = await create_token(ada, name="kept")
    revoked = await create_token(ada, name="revoked")
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    expiring = await create_token(ada, name="expiring", expires_on=tomorrow)

    revoked_id = await db.fetch_val(sa.select(api_tokens.c.id).where(api_tokens.c.name == "revoked"))
    assert (await bob.post(f"/settings/tokens/{revoked_id}/revoke")).status_code == 404  # not Bob's to revoke
    async with api_client(app, revoked) as script:
        assert (await script.get("/api/v1/statuses")).status_code == 200
    assert (await ada.post(f"/settings/tokens/{revoked_id}/revoke")).status_code == 303
    assert "revoked" in shown(await ada.get("/settings/tokens"))

    async with api_client(app, expiring) as script:
        assert (await script.get("/api/v1/statuses")).status_code == 200
        # The day passes.
        await db.execute(
            api_tokens.update()
            .where(api_tokens.c.name == "expiring")
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        expired = await script.get("/api/v1/statuses")
    assert expired.status_code == 401 and "expired" in error_of(expired)["message"]
    assert expired.headers["www-authenticate"].startswith("Bearer")

    for token in (revoked, "rt_" + "x" * 43, "not-even-a-token"):
        async with api_client(app, token) as script:
            response = await script.get("/api/v1/ideas")
        assert response.status_code == 401, token
        assert error_of(response)["field"] is None
    async with api_client(app) as script:
        empty = await script.get("/api/v1/ideas", headers={"Authorization": "Bearer "})
        # Another scheme (a proxy's Basic auth) is not ours: the request is anonymous, so reads work, writes don't.
        basic = {"Authorization": "Basic YWRhOnB3"}
        basic_read = await script.get("/api/v1/ideas", headers=basic)
        basic_write = await script.post("/api/v1/ideas", headers=basic, json={"title": "Through a proxy"})
    assert empty.status_code == 401 and "Bearer <token>" in error_of(empty)["message"]
    assert basic_read.status_code == 200
    assert basic_write.status_code == 401 and "Bearer" in error_of(basic_write)["message"]
    async with api_client(app, kept) as script:
        assert (await script.get("/api/v1/ideas")).status_code == 200


async def test_a_read_token_reads_but_cannot_write(app, db, person):
    ada = await person("ada")
    idea_id = await ada.submit_idea("Export to CSV please")
    async with api_client(app, await create_token(ada, scope="read")) as script:
        assert (await script.get(f"/api/v1/ideas/{idea_id}")).json()["voted"] is False
        refused = await script.put(f"/api/v1/ideas/{idea_id}/vote")
        created = await script.post("/api/v1/ideas", json={"title": "Sneaky new idea"})
    assert refused.status_code == 403 and "read-write token" in error_of(refused)["message"]
    assert created.status_code == 403
    assert await _vote_rows(db, idea_id) == 0


async def test_the_token_of_a_deleted_member_stops_working(app, db, person):
    ada = await person("ada")
    token = await create_token(ada)
    await db.execute(users.delete().where(users.c.id == ada.id))
    async with api_client(app, token) as script:
        assert (await script.get("/api/v1/ideas")).status_code == 401
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(api_tokens)) == 0


async def test_a_request_with_a_token_is_never_authenticated_by_its_cookie(app, person):
    ada = await person("ada")
    bob = await person("bob")
    idea_id = await ada.submit_idea("Keyboard shortcuts")
    bobs_token = await create_token(bob)
    await ada.vote(idea_id)

    # A token on a page is not a sign-in there, and does not let the cookie sign in either.
    page = await ada.client.get(f"/ideas/{idea_id}", headers={"Authorization": f"Bearer {bobs_token}"})
    assert "Sign in" in shown(page) and "Sign out" not in shown(page)
    # Ada's browser carries her cookie; a bad token beside it is refused, not quietly replaced by the cookie.
    bad = await ada.client.get(f"/api/v1/ideas/{idea_id}", headers={"Authorization": "Bearer rt_wrong"})
    assert bad.status_code == 401
    as_bob = await ada.client.get(f"/api/v1/ideas/{idea_id}", headers={"Authorization": f"Bearer {bobs_token}"})
    assert as_bob.json()["voted"] is False  # Bob has not voted; Ada has
    assert (await ada.client.get(f"/api/v1/ideas/{idea_id}")).json()["voted"] is True  # cookie reads work


async def test_cookie_writes_need_the_csrf_header_and_token_writes_without_a_cookie_do_not(app, db, person, visitor):
    ada = await person("ada")
    idea_id = await ada.submit_idea("Offline mode")
    token = await create_token(ada)

    without_header = await ada.client.put(f"/api/v1/ideas/{idea_id}/vote")
    assert without_header.status_code == 403 and "X-CSRF-Token" in error_of(without_header)["message"]
    wrong_header = await ada.client.put(f"/api/v1/ideas/{idea_id}/vote", headers={"X-CSRF-Token": "guess"})
    assert wrong_header.status_code == 403
    # A token sent together with the session cookie is checked for CSRF all the same.
    token_and_cookie = await ada.client.put(
        f"/api/v1/ideas/{idea_id}/vote", headers={"Authorization": f"Bearer {token}"}
    )
    assert token_and_cookie.status_code == 403
    assert await _vote_rows(db, idea_id) == 0

    await ada.get("/settings/tokens")  # the page's csrf-token meta tag
    with_header = await ada.client.put(f"/api/v1/ideas/{idea_id}/vote", headers={"X-CSRF-Token": ada.csrf})
    assert with_header.status_code == 200 and with_header.json()["vote_count"] == 1
    async with api_client(app, token) as script:
        assert (await script.delete(f"/api/v1/ideas/{idea_id}/vote")).json()["vote_count"] == 0

    await visitor.get("/signin")  # a browser with a session cookie (a form gave it a token), signed out
    anonymous = await visitor.client.put(f"/api/v1/ideas/{idea_id}/vote", headers={"X-CSRF-Token": visitor.csrf})
    assert anonymous.status_code == 401
    async with api_client(app) as script:
        nobody = await script.put(f"/api/v1/ideas/{idea_id}/vote")
    assert nobody.status_code == 401 and "API token" in error_of(nobody)["message"]
    assert await _vote_rows(db, idea_id) == 0


async def test_a_suspended_member_s_token_reads_but_writes_nothing(app, db, person):
    ada = await person("ada", role="admin")
    mallory = await person("mallory")
    idea_id = await ada.submit_idea("Quiet mornings")
    token = await create_token(mallory)
    suspended = await ada.post("/moderation/members/mallory/suspend", {"days": "7", "note": "Spam through a script."})
    assert suspended.status_code == 303

    async with api_client(app, token) as script:
        read = await script.get(f"/api/v1/ideas/{idea_id}")
        vote = await script.put(f"/api/v1/ideas/{idea_id}/vote")
        comment = await script.post(f"/api/v1/ideas/{idea_id}/comments", json={"body": "cheap watches"})

    assert read.status_code == 200
    assert vote.status_code == 403 and "Spam through a script." in error_of(vote)["message"]
    assert comment.status_code == 403
    assert await _vote_rows(db, idea_id) == 0


async def test_a_token_is_made_only_soon_after_a_sign_in(person, db):
    """A token outlasts the session: a copied session cookie must not make one."""
    from datetime import timedelta

    from portal.accounts.tables import sessions
    from portal.db import utcnow

    ada = await person("ada")
    await db.execute(sessions.update().values(created_at=utcnow() - timedelta(minutes=11)))
    page = await ada.get("/settings/tokens")
    assert "Making a token needs a sign-in in the last 10 minutes" in shown(page)
    refused = await ada.post("/settings/tokens", {"name": "release script", "scope": "write"})
    assert refused.status_code == 400 and "Sign in again first" in shown(refused)
    assert values(refused)["name"] == "release script"
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(api_tokens)) == 0
    assert (await ada.sign_in()).status_code == 303
    await ada.get("/settings/tokens")
    made = await ada.post("/settings/tokens", {"name": "release script", "scope": "write"})
    assert made.status_code == 201
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(api_tokens)) == 1
