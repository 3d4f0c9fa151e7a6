"""Signing up, in and out; sessions, cookies, CSRF and roles, as people meet them."""

import sqlalchemy as sa

from portal.accounts.tables import sessions, users
from tests.apps import https_client
from tests.pages import has, one, parsed, shown, texts, tree, values
from tests.people import PASSWORD, Person


async def count(db, table) -> int:
    return await db.fetch_val(sa.select(sa.func.count()).select_from(table))


async def test_a_visitor_signs_up_and_is_signed_in(visitor, db):
    await visitor.get("/signup")
    response = await visitor.post(
        "/signup",
        {
            "username": "Ada",
            "display_name": "Ada Lovelace",
            "email": "ADA@example.org",
            "password": "analytical engine",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/welcome"

    home = await visitor.get("/")
    assert "Ada Lovelace" in shown(home)
    assert "Sign out" in shown(home)
    row = await db.fetch_one(sa.select(users).where(users.c.username == "ada"))
    assert row["email"] == "ada@example.org"
    assert row["role"] == "member" and not row["is_founder"]
    assert row["password_hash"].startswith("$argon2id$")
    assert "analytical engine" not in row["password_hash"]


async def test_sign_up_with_bad_input_explains_each_field_and_keeps_what_was_typed(visitor, db):
    response = await visitor.post(
        "/signup",
        {"username": "a!", "display_name": "Bob <b>", "email": "not-an-email", "password": "short"},
    )
    assert response.status_code == 400
    page = parsed(response)
    assert "Use 3 to 32 letters" in shown(page, "#username-error")
    assert "does not look like an email" in shown(page, "#email-error")
    assert "at least 12 characters" in shown(page, "#password-error")
    kept = values(page)
    assert kept["username"] == "a!" and kept["email"] == "not-an-email"
    assert kept["display_name"] == "Bob <b>"
    assert "short" not in one(page, 'input[name="password"]').attributes.values()
    assert await count(db, users) == 0


async def test_a_taken_username_or_email_is_refused_with_a_message(person, visitor, db):
    await person("grace", signed_in=False)
    taken_name = await visitor.post(
        "/signup", {"username": "grace", "email": "other@example.org", "password": "long enough pw"}
    )
    assert taken_name.status_code == 400 and "That username is taken" in shown(taken_name)
    taken_email = await visitor.post(
        "/signup", {"username": "grace2", "email": "GRACE@example.org", "password": "long enough pw"}
    )
    assert taken_email.status_code == 400 and "exists already" in shown(taken_email)
    assert await count(db, users) == 1


async def test_sign_in_with_a_wrong_password_fails_without_saying_which_part_was_wrong(person):
    linus = await person("linus", signed_in=False)
    response = await linus.post("/signin", {"login": "linus", "password": "wrong password"})
    assert response.status_code == 400
    assert "do not match" in shown(response)
    assert values(response)["login"] == "linus"
    unknown = await linus.post("/signin", {"login": "nobody", "password": "wrong password"})
    assert unknown.status_code == 400 and "do not match" in shown(unknown)


async def test_a_member_signs_in_by_email_and_returns_where_they_were(person):
    margaret = await person("margaret", signed_in=False)
    await margaret.get("/signin?next=/ideas/new")
    response = await margaret.post("/signin?next=/ideas/new", {"login": "Margaret@Example.org", "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"] == "/ideas/new"


async def test_sign_in_never_redirects_off_site(person):
    alan = await person("alan", signed_in=False)
    response = await alan.post("/signin?next=//evil.example/x", {"login": "alan", "password": PASSWORD})
    assert response.headers["location"] == "/"


async def test_signing_out_revokes_the_session_even_for_a_copied_cookie(person, app, db):
    barbara = await person("barbara")
    stolen_cookie = barbara.client.cookies.get("session")
    assert await count(db, sessions) == 1

    await barbara.get("/")
    response = await barbara.post("/signout")
    assert response.status_code == 303
    assert await count(db, sessions) == 0
    assert "Sign out" not in shown(await barbara.get("/"))

    async with Person.browsing(app) as thief:
        thief.client.cookies.set("session", stolen_cookie)
        page = await thief.get("/")
        assert "Barbara" not in shown(page) and "Sign out" not in shown(page)


async def test_the_session_cookie_is_httponly_lax_and_secure_only_over_https(app, visitor):
    response = await visitor.get("/signin")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie

    async with https_client(app) as client:
        secure = await client.get("/signin")
    cookie = secure.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
    assert "strict-transport-security" in secure.headers


async def test_a_form_without_the_right_csrf_token_is_refused_and_writes_nothing(visitor, db):
    await visitor.get("/signup")
    form = {"username": "mallory", "email": "m@example.org", "password": "long enough pw"}
    missing = await visitor.post("/signup", form, csrf=False)
    assert missing.status_code == 403
    assert "did not come from this site" in shown(missing)
    forged = await visitor.post("/signup", {**form, "csrf_token": "forged"})
    assert forged.status_code == 403
    header_forged = await visitor.client.post("/signup", data=form, headers={"x-csrf-token": "forged"})
    assert header_forged.status_code == 403
    assert await count(db, users) == 0


async def test_the_token_is_read_from_a_plain_form_as_the_form_reads_it(visitor, db):
    """The CSRF check reads a url-encoded body itself: the last field wins, as for the handler;
    a body that is not UTF-8 is refused, not a 500."""
    await visitor.get("/signup")
    fields = "username=mallory&email=m%40example.org&password=long+enough+pw"
    headers = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
    last_wrong = await visitor.client.post(
        "/signup", content=f"csrf_token={visitor.csrf}&{fields}&csrf_token=forged", headers=headers
    )
    assert last_wrong.status_code == 403
    garbled = await visitor.client.post("/signup", content=b"csrf_token=\xff\xfe&" + fields.encode(), headers=headers)
    assert garbled.status_code == 403
    assert await count(db, users) == 0
    last_right = await visitor.client.post(
        "/signup", content=f"csrf_token=forged&{fields}&csrf_token={visitor.csrf}", headers=headers
    )
    assert last_right.status_code in (200, 303) and await count(db, users) == 1


async def test_a_signed_in_form_from_another_site_cannot_sign_a_member_out(person, db):
    ada = await person("ada")
    response = await ada.client.post("/signout")
    assert response.status_code == 403
    assert await count(db, sessions) == 1


async def test_a_form_body_over_the_size_limit_gets_a_413(visitor, db):
    response = await visitor.post("/signup", {"username": "x" * 2_000_000})
    assert response.status_code == 413
    assert await count(db, users) == 0


async def test_security_headers_are_on_every_page(visitor):
    response = await visitor.get("/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


async def test_founders_and_maintainers_wear_a_badge_and_members_do_not(person, visitor):
    ada = await person("ada", role="admin", founder=True)
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    for someone in (ada, grace, linus):
        await someone.submit_idea(f"An idea from {someone.username}")
    rows = {
        texts(row, "h2.idea-title a")[0].removeprefix("An idea from "): row
        for row in tree(await visitor.get("/?sort=new")).css("li.idea-row")
    }
    assert has(rows["ada"], ".badge-founder")
    assert not has(rows["grace"], ".badge-founder") and has(rows["grace"], ".badge-maintainer")
    assert not has(rows["linus"], ".badge-founder") and not has(rows["linus"], ".badge-maintainer")
