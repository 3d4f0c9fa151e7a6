"""Wrong passwords are limited per account and per address, over a minute and over an hour
(OWASP ASVS 2.2.1: at most 100 failures an hour on an account); right ones are not counted; the
member is told by email when their account is paused, and a password link still works."""

import asyncio
import email
import email.policy
import re

import httpx
import limits.aio.storage.memory
import pytest
import sqlalchemy as sa
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from portal import ratelimit
from portal.accounts.tables import users
from portal.jobs.runner import run_due_jobs
from portal.mail.tables import outbox
from tests.pages import shown
from tests.people import PASSWORD, Person


class Clock:
    """The time the in-memory rate limits read, moved by the test instead of waited for."""

    def __init__(self, start: float) -> None:
        self.now = start

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:  # the limiter's own clock for its storage's failures
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    import time

    moved = Clock(time.time())
    monkeypatch.setattr(limits.aio.storage.memory, "time", moved)
    monkeypatch.setattr(ratelimit, "time", moved)
    return moved


async def signin_paused_emails(app, username: str) -> list[str]:
    rows = await app.state.db.fetch_all(
        sa.select(outbox.c.message)
        .join(users, users.c.id == outbox.c.user_id)
        .where(users.c.username == username, outbox.c.kind == "signin-paused")
    )
    return [
        email.message_from_string(row["message"], policy=email.policy.default).get_body(("plain",)).get_content()
        for row in rows
    ]


@pytest.mark.parametrize("limited_app", ["memory"], indirect=True)
async def test_an_account_takes_100_wrong_passwords_an_hour_and_its_member_is_told_once(limited_app, clock):
    app = limited_app
    await Person.create(app, "ada")
    async with Person.browsing(app) as guesser:
        await guesser.get("/signin")
        for minute in range(10):  # ten a minute, the burst limit, for ten minutes: 100
            for attempt in range(10):
                wrong = await guesser.post("/signin", {"login": "ada", "password": f"guess {minute}-{attempt}"})
                assert wrong.status_code == 400, (minute, attempt)
            burst = await guesser.post("/signin", {"login": "ada", "password": "one more"})
            assert burst.status_code == 429 and "for this account" in shown(burst)
            clock.advance(61)
        hourly = await guesser.post("/signin", {"login": "ada@example.org", "password": PASSWORD})
        assert hourly.status_code == 429 and "Too many failed sign-in attempts for this account" in shown(hourly)
        assert 2000 < int(hourly.headers["retry-after"]) <= 3600  # the oldest failure leaves the hour
        clock.advance(3600)
        assert (await guesser.post("/signin", {"login": "ada", "password": PASSWORD})).status_code == 303

    [notice] = await signin_paused_emails(app, "ada")  # paused eleven times, told once
    text = " ".join(notice.split())
    assert "typed the wrong password for your account on Roundtable too many times" in text
    assert "nobody signed in" in text and "/password/forgot" in text


@pytest.mark.parametrize("limited_app", ["memory"], indirect=True)
async def test_one_address_takes_100_wrong_passwords_an_hour_whatever_the_accounts(limited_app, clock):
    async with Person.browsing(limited_app) as guesser:
        await guesser.get("/signin")
        for attempt in range(100):
            if attempt % 25 == 24:
                clock.advance(61)  # under the 30 tries a minute that every address has
            wrong = await guesser.post("/signin", {"login": f"someone{attempt}", "password": "x"})
            assert wrong.status_code == 400, attempt
        clock.advance(61)
        refused = await guesser.post("/signin", {"login": "someone-else", "password": "x"})
        assert refused.status_code == 429 and "failed sign-in attempts from your address" in shown(refused)


async def test_right_passwords_are_not_counted(limited_app):
    await Person.create(limited_app, "ada")
    for _ in range(12):  # more than the ten failures a minute an account takes
        async with Person.browsing(limited_app) as browser:
            await browser.get("/signin")
            assert (await browser.post("/signin", {"login": "ada", "password": PASSWORD})).status_code == 303


async def test_a_paused_member_chooses_a_new_password_through_the_link_and_signs_in(limited_app):
    app = limited_app
    ada = await Person.create(app, "ada")
    unconfirmed = await Person.create(app, "nora")
    await app.state.db.execute(users.update().where(users.c.id == unconfirmed.id).values(email_verified_at=None))
    async with Person.browsing(app) as guesser:
        await guesser.get("/signin")
        for login in ("ada", "nora"):
            for attempt in range(10):
                await guesser.post("/signin", {"login": login, "password": f"guess {attempt}"})
    assert len(await signin_paused_emails(app, "ada")) == 1
    assert await signin_paused_emails(app, "nora") == []  # an unconfirmed address may be someone else's

    await ada.get("/signin")
    assert (await ada.post("/signin", {"login": "ada", "password": PASSWORD})).status_code == 429
    assert (await ada.post("/password/forgot", {"login": "ada"})).status_code == 200
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    rows = await app.state.db.fetch_all(sa.select(outbox.c.message).where(outbox.c.kind == "reset-password"))
    text = email.message_from_string(rows[-1]["message"], policy=email.policy.default).get_body(("plain",))
    link = re.search(r"https?://[^/\s]+(/password/reset/\S+)", text.get_content()).group(1)
    await ada.get(link)
    assert (await ada.post(link, {"password": "lantern quartz fennel"})).status_code == 303
    async with Person.browsing(app) as laptop:  # and her other browsers may sign in at once too
        await laptop.get("/signin")
        chosen = {"login": "ada", "password": "lantern quartz fennel"}
        assert (await laptop.post("/signin", chosen)).status_code == 303


async def test_wrong_passwords_sent_at_once_are_held_to_the_account_limit(limited_app):
    """Guesses sent together, each checked before any was counted, must not all be tried: the
    limit holds however many arrive at once (in one process or, with Redis, in several)."""
    await Person.create(limited_app, "ada")
    async with Person.browsing(limited_app) as guesser:
        await guesser.get("/signin")
        guesses = [{"login": "ada", "password": f"guess {n}", "csrf_token": guesser.csrf} for n in range(25)]
        answers = await asyncio.gather(*(guesser.client.post("/signin", data=guess) for guess in guesses))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses.count(400) == 10 and statuses.count(429) == 15, statuses


@pytest.mark.parametrize("limited_app", ["memory"], indirect=True)
async def test_addresses_of_one_ipv6_network_share_the_address_limit(limited_app, clock):
    """An IPv6 network of one household or server (a /64) holds 2^64 addresses: counted one by one,
    a guesser who takes a new one for each guess is never limited."""
    for attempt in range(101):
        if attempt % 25 == 24:
            clock.advance(61)  # under the 30 tries a minute that every address has
        address = (f"2001:db8:5:7::{attempt + 1:x}", 50000)
        transport = httpx.ASGITransport(app=limited_app, client=address)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as guesser:
            page = await guesser.get("/signin")
            csrf = HTMLParser(page.text).css_first("input[name=csrf_token]").attributes["value"]
            answer = await guesser.post(
                "/signin", data={"login": f"someone{attempt}", "password": "x", "csrf_token": csrf}
            )
        if attempt < 100:
            assert answer.status_code == 400, attempt
    assert answer.status_code == 429 and "failed sign-in attempts from your address" in shown(answer)
