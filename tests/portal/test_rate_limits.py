"""Rate limits on signing in, signing up, password links and posting, in memory and in Redis."""

import socket
import uuid

import pytest

from portal.app import create_app
from tests.api_client import api_client, create_token
from tests.apps import make_settings
from tests.pages import shown, values
from tests.people import PASSWORD, Person
from tests.servers import redis_is_up


async def test_an_address_gets_so_many_sign_in_tries_and_an_account_so_many_whatever_the_address(limited_app):
    await Person.create(limited_app, "ada")
    async with Person.browsing(limited_app) as guesser:
        await guesser.get("/signin")
        for attempt in range(10):  # by username and by email: the same account
            login = "ada" if attempt % 2 else "ada@example.org"
            wrong = await guesser.post("/signin", {"login": login, "password": f"guess {attempt}"})
            assert wrong.status_code == 400 and "do not match" in shown(wrong)
        limited = await guesser.post("/signin", {"login": "ADA", "password": PASSWORD})
        assert limited.status_code == 429 and "Too many failed sign-in attempts for this account" in shown(limited)
        assert int(limited.headers["retry-after"]) in range(1, 62)
        assert values(limited)["login"] == "ADA" and PASSWORD not in limited.text  # the form keeps the login
        # Another account from the same address is still open, up to the address's own limit.
        for attempt in range(19):
            other = await guesser.post("/signin", {"login": f"someone{attempt}", "password": "x"})
            assert other.status_code == 400
        blocked = await guesser.post("/signin", {"login": "nobody", "password": "x"})
        assert blocked.status_code == 429 and "Too many sign-in attempts from your address" in shown(blocked)
        assert "Retry-After" in blocked.headers


async def test_a_member_posting_faster_than_a_person_types_is_stopped_on_the_site_and_the_api(limited_app):
    ada = await Person.create(limited_app, "ada")
    await ada.sign_in()
    idea = await ada.submit_idea("Dark mode")
    for number in range(29):
        assert (await ada.comment(idea, f"Comment {number}")).status_code == 303
    stopped = await ada.comment(idea, "One too many")
    assert stopped.status_code == 429 and "faster than a person types" in shown(stopped)
    assert shown(await ada.get(f"/ideas/{idea}")).count("Comment ") >= 29
    assert "One too many" not in shown(await ada.get(f"/ideas/{idea}"))
    # Votes are not limited.
    assert (await ada.vote(idea)).status_code in (200, 303)
    # The API counts against the same member.
    await ada.get("/settings/tokens")
    token = await create_token(ada)
    async with api_client(limited_app, token) as script:
        refused = await script.post(f"/api/v1/ideas/{idea}/comments", json={"body": "From a script"})
    assert refused.status_code == 429 and refused.json()["error"]["message"].startswith("You are posting")
    assert "retry-after" in refused.headers


async def test_sign_ups_and_password_links_from_one_address_are_limited(limited_app):
    async with Person.browsing(limited_app) as visitor:
        await visitor.get("/signup")
        for number in range(10):
            fields = {"username": f"newcomer{number}", "email": f"n{number}@example.org", "password": "long enough pw"}
            signed_up = await visitor.post("/signup", fields)
            assert signed_up.status_code == 303
            await visitor.get("/signup")  # the new session's CSRF token
        fields = {"username": "newcomer10", "email": "n10@example.org", "password": "long enough pw"}
        assert (await visitor.post("/signup", fields)).status_code == 429
        for _ in range(10):
            assert (await visitor.post("/password/forgot", {"login": "ada"})).status_code == 200
        assert (await visitor.post("/password/forgot", {"login": "ada"})).status_code == 429


async def test_with_redis_two_app_processes_share_the_counts(database_url, tmp_path):
    if not redis_is_up():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    prefix = f"roundtable-test-{uuid.uuid4().hex}"
    apps = []
    for _ in range(2):
        settings = make_settings(database_url, tmp_path, RATE_LIMITS="true", REDIS_URL="redis://127.0.0.1:6379/15")
        app = create_app(settings)
        app.state.limiter.prefix = prefix
        apps.append(app)
    async with apps[0].router.lifespan_context(apps[0]), apps[1].router.lifespan_context(apps[1]):
        await Person.create(apps[0], "ada")
        statuses = []
        for attempt in range(11):
            async with Person.browsing(apps[attempt % 2]) as guesser:
                await guesser.get("/signin")
                statuses.append((await guesser.post("/signin", {"login": "ada", "password": "wrong"})).status_code)
    assert statuses == [400] * 10 + [429]


async def test_with_redis_unreachable_signing_in_still_works_and_the_log_says_why(database_url, tmp_path, caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings = make_settings(
        database_url, tmp_path, RATE_LIMITS="true", REDIS_URL=f"redis://:hunter2@127.0.0.1:{closed_port}/0"
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await Person.create(app, "ada")
        async with Person.browsing(app) as ada:
            await ada.get("/signin")
            assert (await ada.post("/signin", {"login": "ada", "password": PASSWORD})).status_code == 303
    assert "rate limits not checked: their storage failed" in caplog.text
    assert "hunter2" not in caplog.text


async def test_changing_the_address_is_limited_per_member(limited_app):
    ada = await Person.create(limited_app, "ada")
    await ada.sign_in()
    for number in range(5):
        changed = await ada.post("/settings/email", {"email": f"ada{number}@example.org", "password": PASSWORD})
        assert changed.status_code == 303
    refused = await ada.post("/settings/email", {"email": "ada9@example.org", "password": PASSWORD})
    assert refused.status_code == 429 and "Too many changes of address" in shown(refused)
