"""Signing in through a real OpenID Connect provider on loopback (oidc-provider-mock)."""

from datetime import timedelta
from urllib.parse import parse_qs, quote, urlencode, urlsplit, urlunsplit

import httpx
import pytest
import sqlalchemy as sa
from oidc_provider_mock import User, run_server_in_thread
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from portal.accounts.tables import oauth_accounts, sessions, users
from portal.app import create_app
from portal.db import utcnow
from portal.mail.tables import outbox
from tests.apps import make_settings
from tests.pages import has, link_to, shown, values
from tests.people import PASSWORD, Person

PEOPLE = [
    User(
        sub="alice-sub",
        claims={
            "email": "Alice@Example.org",
            "email_verified": True,
            "preferred_username": "alice",
            "name": "Alice A.",
        },
    ),
    User(sub="bob-sub", claims={"email": "bob@example.org", "email_verified": True, "preferred_username": "bob"}),
    User(sub="eve-sub", claims={"email": "grace@example.org", "email_verified": False, "preferred_username": "eve"}),
]


@pytest.fixture(scope="module")
def provider():
    with run_server_in_thread(user_claims=PEOPLE) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
async def app(database_url, tmp_path, provider):
    settings = make_settings(
        database_url,
        tmp_path,
        OIDC_DISCOVERY_URL=f"{provider}/.well-known/openid-configuration",
        OIDC_CLIENT_ID="roundtable",
        OIDC_CLIENT_SECRET="not-a-secret",
        OIDC_NAME="Example ID",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


async def consent(person: Person, subject: str, start: str = "/signin/oidc") -> httpx.Response:
    """Start at the portal, choose who to be at the provider, and come back with its answer."""
    started = await person.get(start)
    assert started.status_code == 302, started.text
    authorize = started.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    async with httpx.AsyncClient() as browser:
        answer = await browser.post(authorize, data={"sub": subject})
    assert answer.status_code == 302, answer.text
    callback = answer.headers["location"]
    assert callback.startswith("http://testserver/signin/oidc/callback?")
    return await person.get(callback.removeprefix("http://testserver"))


async def test_a_newcomer_signs_in_with_the_provider_and_gets_an_account(visitor, db):
    page = (await visitor.get("/signin")).text
    assert "Sign in with Example ID" in shown(page)
    finished = await consent(visitor, "alice-sub", start="/signin/oidc?next=/ideas/new")
    assert finished.status_code == 303 and finished.headers["location"] == "/ideas/new"
    assert "Alice A." in shown(await visitor.get("/"))
    row = await db.fetch_one(sa.select(users).where(users.c.email == "alice@example.org"))
    assert row["username"] == "alice" and row["password_hash"] is None
    link = await db.fetch_one(sa.select(oauth_accounts).where(oauth_accounts.c.user_id == row["id"]))
    assert (link["provider"], link["subject"]) == ("oidc", "alice-sub")

    # Signing in again finds the same member.
    async with Person.browsing(visitor.app) as later:
        await consent(later, "alice-sub")
        assert "Alice A." in shown(await later.get("/"))
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(users)) == 1


async def test_a_verified_email_links_to_the_existing_member(person, db):
    bob = await person("bob", signed_in=False)
    await consent(bob, "bob-sub")
    assert "Bob" in shown(await bob.get("/")) and "Sign out" in shown(await bob.get("/"))
    link = await db.fetch_one(sa.select(oauth_accounts).where(oauth_accounts.c.subject == "bob-sub"))
    assert link["user_id"] == bob.id
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(users)) == 1


async def test_an_account_made_with_someone_else_s_unconfirmed_address_is_taken_over_by_its_owner(visitor, db):
    """Pre-account takeover: Mallory signs up with Bob's address (never confirming it) and waits
    for Bob to sign in through a provider that vouches for it. Bob gets the account; Mallory's
    password, session and tokens stop working."""
    from portal.accounts.tables import api_tokens, sessions
    from tests.api_client import api_client, create_token

    await visitor.get("/signup")
    signup = {"username": "bobby", "display_name": "Bob", "email": "bob@example.org", "password": "mallory-knows"}
    assert (await visitor.post("/signup", signup)).status_code == 303
    await visitor.get("/settings/tokens")  # signing up began a new session, with a new CSRF token
    token = await create_token(visitor, name="keep")
    mallory_id = await db.fetch_val(sa.select(users.c.id).where(users.c.email == "bob@example.org"))
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(api_tokens)) == 1

    async with Person.browsing(visitor.app) as bob:
        finished = await consent(bob, "bob-sub")
        assert finished.status_code == 303 and "Sign out" in shown(await bob.get("/"))
        row = await db.fetch_one(sa.select(users).where(users.c.id == mallory_id))
        assert row["password_hash"] is None and row["email_verified_at"] is not None
        assert "Sign out" not in shown(await visitor.get("/"))  # Mallory's session is gone
        async with api_client(visitor.app, token) as script:
            assert (await script.get("/api/v1/ideas")).status_code == 401
        assert await db.fetch_val(sa.select(sa.func.count()).where(sessions.c.user_id == mallory_id)) == 1
        again = await visitor.post("/signin", {"login": "bob@example.org", "password": "mallory-knows"})
        assert again.status_code == 400 and "do not match" in shown(again)


async def test_a_confirmed_password_account_keeps_its_password_when_its_provider_links(person, db):
    bob = await person("bob", signed_in=False)
    await consent(bob, "bob-sub")
    row = await db.fetch_one(sa.select(users).where(users.c.id == bob.id))
    assert row["password_hash"] is not None  # confirmed (made here by the accounts code, as an admin would)


async def test_an_unverified_email_is_never_linked_to_an_existing_member(person, visitor, db):
    await person("grace", signed_in=False)
    refused = await consent(visitor, "eve-sub")
    assert refused.status_code == 400 and "did not confirm your email address" in shown(refused)
    assert "Sign out" not in shown(await visitor.get("/"))
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(oauth_accounts)) == 0


def refusal(response: httpx.Response) -> str:
    """The message of the "Sign-in not completed" page."""
    page = HTMLParser(response.text)
    assert page.css_first("h1").text() == "Sign-in not completed"
    return page.css_first(".error-page p").text()


async def test_a_forged_or_missing_state_is_refused_with_a_clear_page(visitor, db):
    started = await visitor.get("/signin/oidc")
    authorize = started.headers["location"]
    async with httpx.AsyncClient() as browser:
        answer = await browser.post(authorize, data={"sub": "alice-sub"})
    parts = urlsplit(answer.headers["location"])
    query = parse_qs(parts.query)
    forged = urlunsplit(("", "", parts.path, urlencode({"code": query["code"][0], "state": "forged"}), ""))
    refused = await visitor.get(forged)
    assert refused.status_code == 400 and "not started in this browser" in refusal(refused)
    missing = await visitor.get("/signin/oidc/callback?code=abc")
    assert missing.status_code == 400 and "not started in this browser" in refusal(missing)
    denied = await visitor.get("/signin/oidc/callback?error=access_denied")
    assert denied.status_code == 400
    assert refusal(denied) == "Example ID did not sign you in: you chose not to let it sign you in here."
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(users)) == 0
    assert (await visitor.get("/signin/nowhere")).status_code == 404


async def test_the_session_cookie_stays_small_however_many_sign_ins_are_started(visitor):
    for _ in range(30):
        await visitor.get("/signin/oidc")
    assert len(visitor.client.cookies.get("session")) < 4096
    assert len(visitor.client.cookies.get("session")) < 1500


async def test_members_link_and_remove_providers_but_keep_one_way_in(person, visitor, db):
    linus = await person("linus")
    await consent(linus, "bob-sub", start="/signin/oidc?next=/settings/accounts")
    # Told by email, in case it was not him (queued: this app sends none).
    [notice] = await db.fetch_all(sa.select(outbox.c.subject, outbox.c.message).where(outbox.c.user_id == linus.id))
    assert notice["subject"] == "A new way into your account on Roundtable"
    assert "Example ID was linked to sign in (as bob@example.org)" in notice["message"]
    page = (await linus.get("/settings/accounts")).text
    assert "linked (bob@example.org)" in shown(page)
    link = await db.fetch_one(sa.select(oauth_accounts).where(oauth_accounts.c.subject == "bob-sub"))
    assert link["user_id"] == linus.id
    assert (await linus.post("/settings/accounts/oidc/remove")).status_code == 303
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(oauth_accounts)) == 0

    await consent(visitor, "alice-sub")  # alice has no password: the provider is her only way in
    kept = await visitor.post("/settings/accounts/oidc/remove")
    assert kept.status_code == 409 and "only way to sign in" in shown(kept)
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(oauth_accounts)) == 1


async def test_password_sign_in_can_be_switched_off(database_url, tmp_path, provider):
    settings = make_settings(
        database_url,
        tmp_path,
        PASSWORD_SIGNIN="false",
        OIDC_DISCOVERY_URL=f"{provider}/.well-known/openid-configuration",
        OIDC_CLIENT_ID="roundtable",
        OIDC_CLIENT_SECRET="not-a-secret",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with Person.browsing(app) as visitor:
            page = (await visitor.get("/signin")).text
            assert not has(page, '[name="password"]') and "Sign in with" in shown(page)
            assert (await visitor.get("/signup")).status_code == 303
            refused = await visitor.post("/signin", {"login": "x", "password": "y"})
            assert refused.status_code == 403  # no form offers a token, and the endpoint refuses too
            assert "Forgot your password?" not in shown(page)
            assert (await visitor.get("/password/forgot")).status_code == 404
            assert (await visitor.post("/password/forgot", {"login": "x"})).status_code == 403  # no token either


async def test_an_address_changed_to_someone_else_s_is_taken_over_when_its_owner_signs_in(visitor, db):
    """The squatter signs in with a provider (alice-sub), so the account has no password, then sets
    the address to Bob's; Bob's own provider sign-in gets the account, and the squatter's provider
    no longer signs in to it."""
    await consent(visitor, "alice-sub")
    await visitor.get("/settings/accounts")
    changed = await visitor.post("/settings/email", {"email": "bob@example.org"})
    assert changed.status_code == 303
    squatted = await db.fetch_val(sa.select(users.c.id).where(users.c.email == "bob@example.org"))
    async with Person.browsing(visitor.app) as bob:
        assert (await consent(bob, "bob-sub")).status_code == 303
    links = await db.fetch_all(sa.select(oauth_accounts.c.subject).where(oauth_accounts.c.user_id == squatted))
    assert [link["subject"] for link in links] == ["bob-sub"]
    assert "Sign out" not in shown(await visitor.get("/"))


async def test_a_member_without_a_password_signs_in_again_before_changing_their_address(visitor, db):
    await consent(visitor, "alice-sub")
    alice = await db.fetch_one(sa.select(users.c.id, users.c.email).where(users.c.username == "alice"))
    page = (await visitor.get("/settings/accounts")).text
    assert "Your account has no password: sign in again first" in shown(page)
    assert link_to(page, "through Example ID") == "/signin/oidc?next=/settings/accounts"
    # A sign-in from more than ten minutes ago (a session cookie stolen since, say) cannot do it.
    await db.execute(sessions.update().values(created_at=utcnow() - timedelta(minutes=11)))
    refused = await visitor.post("/settings/email", {"email": "alice@new.example.org"})
    assert refused.status_code == 400 and "Sign in again through a provider below first" in shown(refused)
    assert "alice@new.example.org" in values(refused).values()
    assert await db.fetch_val(sa.select(users.c.email).where(users.c.id == alice["id"])) == alice["email"]

    again = await consent(visitor, "alice-sub")
    assert again.status_code == 303 and again.headers["location"] == "/settings/accounts"
    await visitor.get("/settings/accounts")  # where the browser goes next, with the new sign-in's token
    changed = await visitor.post("/settings/email", {"email": "alice@new.example.org"})
    assert changed.status_code == 303
    assert await db.fetch_val(sa.select(users.c.email).where(users.c.id == alice["id"])) == "alice@new.example.org"


async def test_a_stolen_session_can_neither_link_its_own_provider_nor_outlive_a_sign_in_again(visitor, db):
    """Someone holding a copy of an old session cookie: their own provider account is not linked
    (nor does it refresh the session), and once the member signs in again, the copy ends."""
    await consent(visitor, "alice-sub")
    alice = await db.fetch_val(sa.select(users.c.id).where(users.c.username == "alice"))
    await db.execute(sessions.update().values(created_at=utcnow() - timedelta(minutes=60)))
    async with Person.browsing(visitor.app) as thief:
        thief.client.cookies = httpx.Cookies(visitor.client.cookies)
        assert "Sign out" in shown(await thief.get("/"))
        refused = await consent(thief, "eve-sub")
        assert refused.status_code == 403 and "sign in again first" in shown(refused)
        assert link_to(refused, "Sign in again") == "/signin?next=/settings/accounts"
        links = await db.fetch_all(sa.select(oauth_accounts.c.subject).where(oauth_accounts.c.user_id == alice))
        assert [link["subject"] for link in links] == ["alice-sub"]
        await thief.get("/settings/accounts")
        changed = await thief.post("/settings/email", {"email": "mallory@evil.example"})
        assert changed.status_code == 400

        # The member signs in again through her provider: one session, the new one.
        again = await consent(visitor, "alice-sub")
        assert again.status_code == 303
        assert await db.fetch_val(sa.select(sa.func.count()).select_from(sessions)) == 1
        assert "Sign out" not in shown(await thief.get("/"))
        assert "Sign out" in shown(await visitor.get("/"))


async def test_linking_a_new_provider_needs_a_recent_sign_in(person, db):
    linus = await person("linus")  # signed in with his password just now
    await db.execute(sessions.update().values(created_at=utcnow() - timedelta(minutes=11)))
    refused = await consent(linus, "bob-sub", start="/signin/oidc?next=/settings/accounts")
    assert refused.status_code == 403 and "To link Example ID, sign in again first" in shown(refused)
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(oauth_accounts)) == 0
    assert (await linus.sign_in()).status_code == 303
    linked = await consent(linus, "bob-sub", start="/signin/oidc?next=/settings/accounts")
    assert linked.status_code == 303
    assert await db.fetch_val(sa.select(oauth_accounts.c.user_id)) == linus.id


# Where a link asked to go after signing in, 4,000 characters long: kept in the session through a
# provider's sign-in, it made a ~6 KB cookie, which browsers drop (they keep 4,096 bytes).
LONG_NEXT = "/ideas?q=" + "x" * 3991
COOKIE_LIMIT = 4096


def watch_cookies(person: Person) -> list[int]:
    """The size of every Set-Cookie header the person's browser gets from now on."""
    sizes: list[int] = []

    async def record(response: httpx.Response) -> None:
        sizes.extend(len(header) for header in response.headers.get_list("set-cookie"))

    person.client.event_hooks = {"request": [], "response": [record]}
    return sizes


async def is_signed_in(person: Person) -> bool:
    page = HTMLParser((await person.get("/")).text)
    return page.css_first('form[action="/signout"]') is not None


async def submit_form(person: Person, page: httpx.Response, action_starts: str, data: dict) -> httpx.Response:
    form = HTMLParser(page.text).css_first(f'form[method="post"][action^="{action_starts}"]')
    return await person.post(form.attributes["action"], data)


async def test_a_4000_character_next_is_dropped_and_password_sign_in_works(person):
    assert len(LONG_NEXT) == 4000
    linus = await person("linus", signed_in=False)
    sizes = watch_cookies(linus)
    page = await linus.get(f"/signin?next={quote(LONG_NEXT)}")
    signed_in = await submit_form(linus, page, "/signin", {"login": "linus", "password": PASSWORD})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
    assert await is_signed_in(linus)
    assert sizes and max(sizes) < COOKIE_LIMIT


async def test_a_4000_character_next_is_dropped_and_signing_up_works(visitor):
    sizes = watch_cookies(visitor)
    page = await visitor.get(f"/signup?next={quote(LONG_NEXT)}")
    newcomer = {"username": "nadia", "display_name": "Nadia", "email": "nadia@example.org"}
    signed_up = await submit_form(visitor, page, "/signup", {**newcomer, "password": "plum-ferry-orbit-canvas-42"})
    assert signed_up.status_code == 303 and signed_up.headers["location"] == "/welcome"
    assert await is_signed_in(visitor)
    assert sizes and max(sizes) < COOKIE_LIMIT


async def test_a_4000_character_next_is_dropped_and_provider_sign_in_works(visitor):
    sizes = watch_cookies(visitor)
    finished = await consent(visitor, "alice-sub", start=f"/signin/oidc?next={quote(LONG_NEXT)}")
    assert finished.status_code == 303 and finished.headers["location"] == "/"
    assert await is_signed_in(visitor)
    assert sizes and max(sizes) < COOKIE_LIMIT


async def test_a_4000_character_next_is_dropped_and_linking_a_provider_works(person, db):
    linus = await person("linus")
    sizes = watch_cookies(linus)
    linked = await consent(linus, "bob-sub", start=f"/signin/oidc?next={quote(LONG_NEXT)}")
    assert linked.status_code == 303 and linked.headers["location"] == "/settings/accounts"
    assert await db.fetch_val(sa.select(oauth_accounts.c.user_id)) == linus.id
    assert sizes and max(sizes) < COOKIE_LIMIT


async def test_sign_in_first_keeps_where_the_visitor_was_only_when_it_is_short_enough(visitor):
    short = await visitor.get("/moderation/flag?kind=idea&id=1")
    assert short.status_code == 303
    assert short.headers["location"] == "/signin?" + urlencode({"next": "/moderation/flag?kind=idea&id=1"})
    long = await visitor.get("/moderation/flag?kind=idea&id=1&x=" + "y" * 4000)
    assert long.status_code == 303 and long.headers["location"] == "/signin"


@pytest.mark.parametrize(
    ("asked", "went"),
    [
        ("/ideas/new", "/ideas/new"),
        ("/" + "a" * 511, "/" + "a" * 511),  # 512 characters: kept
        ("/" + "a" * 512, "/"),  # 513: dropped
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("/\t/evil.example/", "/"),
        ("/\n/evil.example/", "/"),
        ("ideas", "/"),
    ],
)
async def test_where_a_member_goes_after_signing_in_is_a_short_local_path(person, asked, went):
    linus = await person("linus", signed_in=False)
    page = await linus.get("/signin?" + urlencode({"next": asked}))
    signed_in = await submit_form(linus, page, "/signin", {"login": "linus", "password": PASSWORD})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == went


# 512 characters that are not ASCII: the session stores each as a JSON escape (`\ud83d\ude00` for
# an emoji, 12 bytes), so a bound in characters let a 512-character `next` make a ~8 KB cookie.
WIDE_NEXT = "/ideas?q=" + "\U0001f600" * 503


async def test_a_next_of_512_wide_characters_is_dropped_and_provider_sign_in_works(visitor):
    assert len(WIDE_NEXT) == 512
    sizes = watch_cookies(visitor)
    finished = await consent(visitor, "alice-sub", start=f"/signin/oidc?next={quote(WIDE_NEXT)}")
    assert finished.status_code == 303 and finished.headers["location"] == "/"
    assert await is_signed_in(visitor)
    assert sizes and max(sizes) < COOKIE_LIMIT


async def test_a_short_next_that_is_not_ascii_is_kept(person):
    linus = await person("linus", signed_in=False)
    page = await linus.get("/signin?" + urlencode({"next": "/ideas?q=café"}))
    signed_in = await submit_form(linus, page, "/signin", {"login": "linus", "password": PASSWORD})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/ideas?q=caf%C3%A9"
