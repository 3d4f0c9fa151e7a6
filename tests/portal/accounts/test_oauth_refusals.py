"""A provider sign-in that cannot be trusted or completed gets a clear page, never a 500.

Against a provider on loopback whose answers the test writes (tests/oidc_issuer.py): ID tokens
signed with keys it does not publish, from another issuer, for another site, expired, for another
sign-in; a provider that answers garbage or cannot be reached.
"""

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from portal.accounts.tables import oauth_accounts, users
from portal.app import create_app
from tests.apps import make_settings
from tests.oidc_issuer import CLIENT_ID, KEYS, OMIT, Issuer, running_issuer
from tests.people import Person
from tests.servers import free_port


@pytest.fixture
def issuer():
    with running_issuer() as issuer:
        yield issuer


def settings_for(database_url, tmp_path, discovery_url):
    return make_settings(
        database_url,
        tmp_path,
        OIDC_DISCOVERY_URL=discovery_url,
        OIDC_CLIENT_ID=CLIENT_ID,
        OIDC_CLIENT_SECRET="not-a-secret",
        OIDC_NAME="Example ID",
    )


@pytest.fixture
async def app(database_url, tmp_path, issuer):
    app = create_app(settings_for(database_url, tmp_path, issuer.discovery_url))
    async with app.router.lifespan_context(app):
        yield app


async def start(person: Person) -> dict[str, str]:
    """Begin signing in at the portal; the state and nonce it sent the provider."""
    started = await person.get("/signin/oidc")
    assert started.status_code == 302, started.text
    query = parse_qs(urlsplit(started.headers["location"]).query)
    return {"state": query["state"][0], "nonce": query["nonce"][0]}


async def come_back(person: Person, **params: str) -> httpx.Response:
    """The browser returns to the portal with what the provider put in the address."""
    return await person.get("/signin/oidc/callback?" + urlencode(params))


def refusal(response: httpx.Response) -> str:
    """The message of the "Sign-in not completed" page."""
    page = HTMLParser(response.text)
    assert page.css_first("h1").text() == "Sign-in not completed", response.text[:2000]
    return page.css_first(".error-page p").text()


# Words a member should never be shown: exception names and the libraries' own messages.
RAW = ("Error", "error", "claim", "Claim", "token is", "bad_signature", "CSRF", "Traceback", "'")


def assert_in_members_words(message: str, *expected: str) -> None:
    for words in expected:
        assert words in message, message
    for raw in RAW:
        assert raw not in message, message


async def assert_nobody_signed_in(visitor: Person, db) -> None:
    assert HTMLParser((await visitor.get("/")).text).css_first('form[action="/signout"]') is None
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(users)) == 0
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(oauth_accounts)) == 0


async def test_a_good_id_token_signs_zoe_in_even_after_the_provider_rotates_its_keys(issuer, visitor, db):
    flow = await start(visitor)
    finished = await come_back(visitor, code=issuer.code_for(issuer.id_token(flow["nonce"])), state=flow["state"])
    assert finished.status_code == 303 and finished.headers["location"] == "/"
    assert await db.fetch_val(sa.select(users.c.username)) == "zoe"

    # The provider publishes a new key and signs with it; the portal had the old set cached.
    issuer.published = [KEYS["second"]]
    async with Person.browsing(visitor.app) as later:
        flow = await start(later)
        token = issuer.id_token(flow["nonce"], key=KEYS["second"])
        again = await come_back(later, code=issuer.code_for(token), state=flow["state"])
        assert again.status_code == 303 and again.headers["location"] == "/"


UNTRUSTED = {
    "signed with a key it does not publish (same key id)": (
        {"key": KEYS["stranger"], "kid": "first"},
        "was not signed by Example ID",
    ),
    "signed with a key it does not publish (new key id)": ({"key": KEYS["stranger"]}, "was not signed by Example ID"),
    "from another issuer": ({"iss": "http://127.0.0.1:9/elsewhere"}, "did not come from Example ID"),
    "for another site": ({"aud": "another-site"}, "was meant for another site"),
    "for another site, naming us as the party it was given to": (
        {"aud": "another-site", "azp": CLIENT_ID},
        "was meant for another site",
    ),
    "with no audience": ({"aud": OMIT}, "was meant for another site"),
    "expired": ("expired", "had expired"),
    "for another sign-in": ({"nonce": "someone-elses"}, "belongs to another sign-in"),
    "for no sign-in in particular": ({"nonce": OMIT}, "belongs to another sign-in"),
    "about nobody": ({"sub": OMIT}, "could not be read"),
}


@pytest.mark.parametrize("case", UNTRUSTED)
async def test_an_id_token_the_portal_cannot_trust_is_refused_with_a_clear_page(issuer, visitor, db, case):
    changes, expected = UNTRUSTED[case]
    flow = await start(visitor)
    if changes == "expired":
        now = int(time.time())
        changes = {"iat": now - 660, "exp": now - 360}  # beyond the two minutes allowed for clocks that differ
    token = issuer.id_token(flow["nonce"], **changes)
    refused = await come_back(visitor, code=issuer.code_for(token), state=flow["state"])
    assert refused.status_code == 400
    assert_in_members_words(refusal(refused), expected)
    await assert_nobody_signed_in(visitor, db)


def unsigned(issuer: Issuer, flow_nonce: str) -> str:
    """Zoe's ID token with `alg: none` and no signature."""
    header, claims, _ = issuer.id_token(flow_nonce).split(".")
    return base64url({"alg": "none", "typ": "JWT"}) + "." + claims + "."


def signed_with_the_public_key(issuer: Issuer, flow_nonce: str) -> str:
    """Zoe's ID token MACed with HS256, the provider's published key as the secret (algorithm confusion)."""
    _, claims, _ = issuer.id_token(flow_nonce).split(".")
    signing_input = base64url({"alg": "HS256", "kid": "first"}) + "." + claims
    secret = KEYS["first"].as_pem(private=False)
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def base64url(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("forge", [unsigned, signed_with_the_public_key])
@pytest.mark.parametrize("listed", [["RS256"], ["RS256", "HS256", "none"]])
async def test_an_id_token_signed_with_no_key_or_the_public_one_is_refused_whatever_the_provider_lists(
    issuer, visitor, db, forge, listed
):
    # OpenID Connect Discovery lets a provider list `none` and HS256 (Keycloak lists HS256); neither
    # may make an ID token that no key the provider publishes signed pass.
    issuer.algorithms = listed
    flow = await start(visitor)
    refused = await come_back(visitor, code=issuer.code_for(forge(issuer, flow["nonce"])), state=flow["state"])
    assert refused.status_code == 400
    assert_in_members_words(refusal(refused), "was not signed by Example ID")
    await assert_nobody_signed_in(visitor, db)


async def test_a_token_that_is_no_token_at_all_is_refused(issuer, visitor, db):
    for token in ("not-a-token", "e30.e30.", "a.b.c"):
        flow = await start(visitor)
        refused = await come_back(visitor, code=issuer.code_for(token), state=flow["state"])
        assert refused.status_code == 400, token
        assert_in_members_words(refusal(refused), "could not be read")
    await assert_nobody_signed_in(visitor, db)


GARBAGE = {
    "a page instead of JSON": (b"<html><body>Maintenance</body></html>", 200, "text/html"),
    "a server error": (b"<html>500</html>", 500, "text/html"),
    "JSON that is a list": ([1, 2, 3], 200, "application/json"),
    "no ID token": ({"access_token": "abc", "token_type": "Bearer"}, 200, "application/json"),
    "an empty answer": (b"", 200, "application/json"),
}


@pytest.mark.parametrize("case", GARBAGE)
async def test_a_provider_answering_garbage_gets_a_clear_page(issuer, visitor, db, case):
    body, status, content_type = GARBAGE[case]
    flow = await start(visitor)
    code = issuer.answer(body, status=status, content_type=content_type)
    refused = await come_back(visitor, code=code, state=flow["state"])
    assert refused.status_code == 502
    assert_in_members_words(refusal(refused), "Example ID gave an answer we could not understand")
    await assert_nobody_signed_in(visitor, db)


async def test_a_code_the_provider_does_not_accept_gets_a_clear_page(issuer, visitor, db):
    flow = await start(visitor)
    refused = await come_back(visitor, code="used-already", state=flow["state"])
    assert refused.status_code == 400
    assert_in_members_words(refusal(refused), "Example ID did not accept this sign-in", "start again")
    await assert_nobody_signed_in(visitor, db)


async def test_a_provider_that_stops_answering_midway_gets_a_clear_page(issuer, visitor, db):
    flow = await start(visitor)
    issuer.stop()
    refused = await come_back(visitor, code="anything", state=flow["state"])
    assert refused.status_code == 502
    assert_in_members_words(refusal(refused), "Example ID could not be reached", "try again")
    await assert_nobody_signed_in(visitor, db)


async def test_a_missing_or_forged_state_gets_a_clear_page(issuer, visitor, db):
    flow = await start(visitor)
    good_code = issuer.code_for(issuer.id_token(flow["nonce"]))
    for params in ({"code": good_code}, {"code": good_code, "state": "forged"}, {"state": flow["state"]}):
        refused = await come_back(visitor, **params)
        assert refused.status_code == 400, params
        assert_in_members_words(refusal(refused), "not started in this browser", "start again")
    await assert_nobody_signed_in(visitor, db)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("access_denied", "you chose not to let it sign you in here"),
        ("login_required", "you need to sign in there first"),
        ("temporarily_unavailable", "it is not available just now"),
        ("Your account is locked, call +1 555 0100", "it refused"),
    ],
)
async def test_a_provider_that_declines_gets_a_clear_page_in_our_words(issuer, visitor, db, error, expected):
    flow = await start(visitor)
    refused = await come_back(visitor, error=error, error_description="Something <b>odd</b>", state=flow["state"])
    assert refused.status_code == 400
    message = refusal(refused)
    assert_in_members_words(message, "Example ID did not sign you in", expected)
    assert "555" not in message and "odd" not in message  # the address is not the provider's to write on
    await assert_nobody_signed_in(visitor, db)


@pytest.mark.parametrize(
    ("broken", "status", "expected"),
    [
        ((200, "text/html", b"<html>Maintenance</html>"), 502, "gave an answer we could not understand"),
        ((200, "application/json", b'{"issuer": "x"}'), 502, "gave an answer we could not understand"),
        ((200, "application/json", b"[]"), 502, "gave an answer we could not understand"),
        ((503, "text/html", b"down"), 502, "gave an answer we could not understand"),
    ],
)
async def test_a_provider_whose_discovery_is_broken_gets_a_clear_page(
    database_url, tmp_path, issuer, broken, status, expected
):
    issuer.broken["/.well-known/openid-configuration"] = broken
    app = create_app(settings_for(database_url, tmp_path, issuer.discovery_url))
    async with app.router.lifespan_context(app), Person.browsing(app) as visitor:
        refused = await visitor.get("/signin/oidc")
        assert refused.status_code == status
        assert_in_members_words(refusal(refused), expected)
        # And at the callback, had the sign-in been started before the provider broke.
        refused = await come_back(visitor, code="abc", state="abc")
        assert refused.status_code in (400, 502)
        refusal(refused)
        # Once the provider is mended, signing in starts again without restarting the portal.
        del issuer.broken["/.well-known/openid-configuration"]
        assert (await visitor.get("/signin/oidc")).status_code == 302


async def test_a_provider_that_cannot_be_reached_gets_a_clear_page(database_url, tmp_path):
    nowhere = f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration"
    app = create_app(settings_for(database_url, tmp_path, nowhere))
    async with app.router.lifespan_context(app), Person.browsing(app) as visitor:
        refused = await visitor.get("/signin/oidc")
        assert refused.status_code == 502
        assert_in_members_words(refusal(refused), "Example ID could not be reached", "try again")


def test_the_test_provider_stops(issuer: Issuer):
    issuer.stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(issuer.discovery_url, timeout=2)


async def test_an_address_the_provider_says_is_not_verified_in_words_is_not_taken_as_verified(issuer, visitor, db):
    flow = await start(visitor)
    token = issuer.id_token(flow["nonce"], email_verified="false")
    refused = await come_back(visitor, code=issuer.code_for(token), state=flow["state"])
    assert refused.status_code == 400
    assert_in_members_words(refusal(refused), "Example ID did not confirm your email address")
    await assert_nobody_signed_in(visitor, db)

    flow = await start(visitor)
    token = issuer.id_token(flow["nonce"], email_verified="true")
    finished = await come_back(visitor, code=issuer.code_for(token), state=flow["state"])
    assert finished.status_code == 303
    assert await db.fetch_val(sa.select(users.c.email_verified_at)) is not None


UNSTORABLE = {
    # What PostgreSQL cannot hold (NUL, an address past 254 characters, a subject past 255) was a
    # 500 there; an address the portal would have cleaned is not the one the provider vouched for.
    "an address too long to be one": {"email": "z" * 250 + "@example.org"},
    "an address with NUL in it": {"email": "zoe\x00@example.org"},
    "an address with half a character in it": {"email": "zoe\ud800@example.org"},
    "an address that is no address": {"email": "zoe at example.org"},
}


@pytest.mark.parametrize("case", UNSTORABLE)
async def test_an_address_the_portal_cannot_keep_is_no_address_at_all(issuer, visitor, db, case):
    flow = await start(visitor)
    token = issuer.id_token(flow["nonce"], **UNSTORABLE[case])
    refused = await come_back(visitor, code=issuer.code_for(token), state=flow["state"])
    assert refused.status_code == 400
    assert_in_members_words(refusal(refused), "Example ID did not confirm your email address")
    await assert_nobody_signed_in(visitor, db)


@pytest.mark.parametrize("subject", ["", "zoe\x00", "zoe\ud800", "z" * 256])
async def test_a_subject_the_portal_cannot_keep_as_it_is_gets_a_clear_page(issuer, visitor, db, subject):
    flow = await start(visitor)
    token = issuer.id_token(flow["nonce"], sub=subject)
    refused = await come_back(visitor, code=issuer.code_for(token), state=flow["state"])
    assert refused.status_code == 502
    assert_in_members_words(refusal(refused), "Example ID gave an answer we could not understand")
    await assert_nobody_signed_in(visitor, db)


async def test_a_name_with_characters_no_database_holds_is_kept_without_them(issuer, visitor, db):
    flow = await start(visitor)
    token = issuer.id_token(flow["nonce"], name="Zoe\x00 Z.\ud800", preferred_username="zoe\x00")
    finished = await come_back(visitor, code=issuer.code_for(token), state=flow["state"])
    assert finished.status_code == 303 and finished.headers["location"] == "/"
    row = await db.fetch_one(sa.select(users.c.username, users.c.display_name))
    assert (row["username"], row["display_name"]) == ("zoe", "Zoe Z.")
