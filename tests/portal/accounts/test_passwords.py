"""Choosing a password: 12 to 128 characters, never cut, and not one that is easy to guess
(zxcvbn's estimate), with the reason said; the same rule on sign-up, a reset link and the CLI."""

import re
import time

import pytest
import sqlalchemy as sa
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from portal.accounts.tables import users
from tests.commands import run, users_in
from tests.mailbox import PUBLIC_URL, deliver, emailing_settings, text_of
from tests.people import PASSWORD, Person


@pytest.fixture
def settings(database_url, tmp_path, mailbox):
    """The portal of these tests emails the mailbox (tests/portal/conftest.py) and links to PUBLIC_URL."""
    return emailing_settings(database_url, tmp_path, mailbox, MAIL_FROM="Roundtable <ideas@example.net>")


STRONG_128 = ("Quartz orbit lantern, fennel " * 5)[:120] + "Zebra#42"  # zxcvbn: 4
# Every symbol that zxcvbn reads as a letter in disguise ("4" and "@" for "a", "1" for "i" or "l"...).
LETTER_LIKE_128 = ("4@8({[<3&6%!1|7+0()9$5" * 6)[:128]


def error_of(page: str, name: str) -> str:
    node = HTMLParser(page).css_first(f"#{name}-error")
    return node.text().strip() if node is not None else ""


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short pw", "Choose a password of at least 12 characters."),
        ("x" + STRONG_128, "A password can be at most 128 characters."),
        ("password1234", "This is a very common password."),
        ("abcdefghijklm", 'Sequences like "abc" or "6543" are easy to guess.'),
        ("aaaaaaaaaaaaaaa", 'Repeats like "aaa" are easy to guess.'),
        ("nora.lovelace.org", "That password is too easy to guess."),  # strong, but for her own name
    ],
)
async def test_a_weak_password_is_refused_on_sign_up_with_the_reason_keeping_the_rest(visitor, db, password, reason):
    await visitor.get("/signup")
    typed = {"username": "nora", "display_name": "Nora", "email": "nora.lovelace@example.org"}
    response = await visitor.post("/signup", {**typed, "password": password})
    assert response.status_code == 400
    assert reason in error_of(response.text, "password")
    tree = HTMLParser(response.text)
    assert tree.css_first("#username").attributes["value"] == "nora"
    assert tree.css_first("#email").attributes["value"] == "nora.lovelace@example.org"
    assert tree.css_first("#password").attributes["value"] == ""
    assert "maxlength" not in tree.css_first("#password").attributes  # a browser would cut a pasted one
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(users)) == 0


async def test_a_128_character_password_is_kept_whole(app, visitor, db):
    await visitor.get("/signup")
    fields = {"username": "nora", "email": "nora@example.org", "password": STRONG_128}
    assert len(STRONG_128) == 128
    assert (await visitor.post("/signup", fields)).status_code == 303
    async with Person.browsing(app) as later:
        await later.get("/signin")
        for cut in (STRONG_128[:72], STRONG_128[:127]):  # bcrypt would stop at 72 bytes
            assert (await later.post("/signin", {"login": "nora", "password": cut})).status_code == 400
        assert (await later.post("/signin", {"login": "nora", "password": STRONG_128})).status_code == 303


async def test_the_reset_link_refuses_a_weak_password_and_changes_nothing(app, person, visitor, mailbox, db):
    ada = await person("ada", signed_in=False)
    before = await db.fetch_val(sa.select(users.c.password_hash).where(users.c.id == ada.id))
    await visitor.post("/password/forgot", {"login": "ada"})
    await deliver(app)
    link = re.search(rf"{PUBLIC_URL}(/password/reset/\S+)", text_of(mailbox.received[0])).group(1)
    await visitor.get(link)
    for weak, reason in (("ada example", "at least 12 characters"), ("ada@example.org", "too easy to guess")):
        refused = await visitor.post(link, {"password": weak})
        assert refused.status_code == 400 and reason in error_of(refused.text, "password"), weak
    assert await db.fetch_val(sa.select(users.c.password_hash).where(users.c.id == ada.id)) == before
    assert (await visitor.post(link, {"password": "lantern quartz fennel"})).status_code == 303


def test_the_command_line_refuses_a_weak_password_with_the_reason(cli_env, database_url):
    weak = run(cli_env, "users", "create", "linus", "--email", "l@example.org", "--password", "password1234")
    assert weak.exit_code == 1 and "password: That password is too easy to guess." in weak.output
    assert "This is a very common password." in weak.output
    assert users_in(database_url) == []


async def test_a_member_whose_old_password_breaks_the_new_rule_still_signs_in(app, db):
    """The rule is for choosing a password: hashes made before it keep working."""
    from portal.accounts.passwords import hash_password
    from portal.accounts.queries import create_user

    await create_user(
        db,
        username="old",
        email="old@example.org",
        display_name="Old",
        password_hash=await hash_password(app.state.password_hasher, "hunter2"),
        email_verified=True,
    )
    async with Person.browsing(app) as old:
        await old.get("/signin")
        assert (await old.post("/signin", {"login": "old", "password": "hunter2"})).status_code == 303
    assert len(PASSWORD) >= 12


async def test_a_password_of_letter_like_symbols_is_judged_in_a_moment(visitor, db):
    """zxcvbn tries each way a password's symbols could stand for letters, each with a search of
    its dictionaries: 736 ways here, which took some 20 s of CPU on the event loop that serves
    every request, for one sign-up (a denial of service at 10 sign-ups an hour per address)."""
    await visitor.get("/signup")
    typed = {"username": "nora", "display_name": "Nora", "email": "nora@example.org"}
    started = time.process_time()
    response = await visitor.post("/signup", {**typed, "password": LETTER_LIKE_128})
    assert time.process_time() - started < 3
    assert response.status_code == 303, error_of(response.text, "password")
