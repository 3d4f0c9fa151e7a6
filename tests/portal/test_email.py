"""Notifications by email through a real SMTP server on loopback: sent after the response, retried, stopped."""

import asyncio
import logging
import re
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from portal.accounts.tables import users
from portal.db import utcnow
from portal.jobs.runner import run_due_jobs
from portal.mail.tables import outbox
from portal.notifications.tables import KINDS
from tests.conftest import make_settings
from tests.mailbox import Mailbox, html_of, text_of, unsubscribe_path
from tests.people import PASSWORD, Person

PUBLIC_URL = "http://ideas.example.net"


@pytest.fixture
def mailbox():
    box = Mailbox(refuse=("bounce@example.org",))
    box.start()
    yield box
    box.stop()


@pytest.fixture
def settings(database_url, tmp_path, mailbox):
    return make_settings(
        database_url,
        tmp_path,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(mailbox.port),
        SMTP_TLS="none",
        PUBLIC_URL=PUBLIC_URL,
        MAIL_FROM="Roundtable <ideas@example.net>",
    )


async def deliver(app, **kwargs):
    return await run_due_jobs(app.state.db, app.state.settings, app.state.assembly, **kwargs)


async def test_ada_gets_an_email_when_linus_comments_and_when_grace_changes_the_status(app, person, mailbox):
    ada, linus = await person("ada"), await person("linus")
    grace = await person("grace", role="maintainer")
    idea = await ada.submit_idea("Dark mode", "Please.")

    await linus.comment(idea, "Yes, my eyes hurt.")
    assert mailbox.received == []  # nothing is sent while the request runs
    await deliver(app)

    [comment_email] = mailbox.to("ada@example.org")
    assert comment_email["Subject"] == "Linus commented on “Dark mode”"
    assert comment_email["To"] == "Ada <ada@example.org>"
    assert comment_email["From"] == "Roundtable <ideas@example.net>"
    assert comment_email["Date"] and re.fullmatch(r"<.+@example\.net>", comment_email["Message-ID"])
    assert comment_email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(rf"<{PUBLIC_URL}/unsubscribe/[\w.-]+>", comment_email["List-Unsubscribe"])
    assert f"{PUBLIC_URL}/ideas/{idea}#comment-" in text_of(comment_email)
    assert f'href="{PUBLIC_URL}/ideas/{idea}#comment-' in html_of(comment_email)
    assert mailbox.to("linus@example.org") == []  # nobody hears about their own comment

    response = await grace.post(f"/ideas/{idea}/status", {"status": "planned", "note": "Next quarter."})
    assert response.status_code == 303
    await deliver(app)

    assert [message["Subject"] for message in mailbox.to("ada@example.org")][1:] == [
        "Grace moved “Dark mode” to planned"
    ]
    assert [message["Subject"] for message in mailbox.to("linus@example.org")] == ["Grace moved “Dark mode” to planned"]
    statuses = await app.state.db.fetch_all(sa.select(outbox.c.status, outbox.c.attempts))
    assert [(row["status"], row["attempts"]) for row in statuses] == [("sent", 1)] * 3
    assert (await deliver(app)).total == 0  # and nothing is sent twice


async def test_the_server_sends_right_after_the_response_without_waiting_for_its_poll(database_url, tmp_path, mailbox):
    from portal.app import create_app
    from tests.people import Person

    settings = make_settings(
        database_url,
        tmp_path,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(mailbox.port),
        SMTP_TLS="none",
        JOBS_INTERVAL="3600",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        ada, linus = await Person.create(app, "ada"), await Person.create(app, "linus")
        await ada.sign_in()
        await linus.sign_in()
        idea = await ada.submit_idea("Keyboard shortcuts")
        await linus.comment(idea, "j and k, please")
        for _ in range(200):
            if mailbox.to("ada@example.org"):
                break
            await asyncio.sleep(0.02)
        await ada.close()
        await linus.close()
    assert [message["Subject"] for message in mailbox.to("ada@example.org")] == [
        "Linus commented on “Keyboard shortcuts”"
    ]


async def test_ada_chooses_never_for_comments_and_gets_none_but_still_sees_them_in_the_portal(app, person, mailbox):
    ada, linus = await person("ada"), await person("linus")
    idea = await ada.submit_idea("Offline mode")
    form = {f"email_{kind}": "immediately" for kind in KINDS if kind != "comment"}
    response = await ada.post("/settings/notifications", {**form, "email_comment": "never"})
    assert response.status_code == 303

    await linus.comment(idea, "Would love this on the train.")
    await deliver(app)

    assert mailbox.received == []
    page = await ada.get("/notifications")
    assert "Linus commented on “Offline mode”" in page.text
    assert '1<span class="visually-hidden"> unread</span>' in page.text


async def test_the_unsubscribe_link_in_the_email_shows_a_button_and_only_the_post_stops_that_kind(
    app, person, visitor, mailbox
):
    ada, linus = await person("ada"), await person("linus")
    grace = await person("grace", role="maintainer")
    idea = await ada.submit_idea("Export to CSV")
    await linus.comment(idea, "First!")
    await deliver(app)
    [first] = mailbox.to("ada@example.org")
    path = unsubscribe_path(first, PUBLIC_URL)

    # Mail scanners follow links: a GET changes nothing.
    page = await visitor.get(path)
    assert page.status_code == 200
    assert "Stop emails about comments on ideas you follow" in page.text and "ada" in page.text
    await linus.comment(idea, "Second!")
    await deliver(app)
    assert len(mailbox.to("ada@example.org")) == 2

    done = await visitor.post(path)  # a stranger's browser with no session: the token is what counts
    assert done.status_code == 200 and "You are unsubscribed" in done.text

    await linus.comment(idea, "Third!")
    await grace.post(f"/ideas/{idea}/status", {"status": "planned", "note": "Soon."})
    await deliver(app)
    assert [message["Subject"] for message in mailbox.to("ada@example.org")][2:] == [
        "Grace moved “Export to CSV” to planned"
    ]
    settings_page = await ada.get("/settings/notifications")
    assert re.search(r'<option value="never" selected>Never email</option>', settings_page.text)


async def test_a_mail_client_one_click_post_unsubscribes_without_any_session(app, person, mailbox):
    ada, linus = await person("ada"), await person("linus")
    idea = await ada.submit_idea("Webhooks")
    await linus.comment(idea, "For Slack.")
    await deliver(app)
    [message] = mailbox.to("ada@example.org")
    address = message["List-Unsubscribe"].strip("<>")

    # What a mail client sends for RFC 8058: a POST with this body and no cookie, no CSRF token.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as mail_client:
        response = await mail_client.post(address, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "You are unsubscribed" in response.text

    await linus.comment(idea, "And Matrix.")
    await deliver(app)
    assert len(mailbox.to("ada@example.org")) == 1


async def test_the_all_email_link_stops_every_kind_including_kinds_added_later(app, person, mailbox, visitor):
    ada, linus = await person("ada"), await person("linus")
    grace = await person("grace", role="maintainer")
    idea = await ada.submit_idea("Dark mode")
    await linus.comment(idea, "Yes")
    await deliver(app)
    all_path = re.search(r"Stop all email from Roundtable: (\S+)", text_of(mailbox.received[0])).group(1)
    await visitor.post(all_path.removeprefix(PUBLIC_URL), csrf=False)

    await linus.comment(idea, "Again")
    await grace.post(f"/ideas/{idea}/status", {"status": "planned", "note": "Soon."})
    await deliver(app)
    assert len(mailbox.received) == 1 + 1  # only linus hears about grace's change
    page = await ada.get("/settings/notifications")
    assert re.search(r'id="emails_off" name="emails_off" checked', page.text)


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_tampered_or_foreign_unsubscribe_links_get_a_clear_page_and_change_nothing(
    app, person, visitor, mailbox, method, database_url, tmp_path
):
    ada, linus = await person("ada"), await person("linus")
    idea = await ada.submit_idea("Dark mode")
    await linus.comment(idea, "Yes")
    await deliver(app)
    path = unsubscribe_path(mailbox.received[0], PUBLIC_URL)
    token = path.rsplit("/", 1)[1]

    from portal.notifications.tokens import unsubscribe_token

    other_portal = make_settings(database_url, tmp_path, SECRET_KEY="another-portals-secret")
    bad_tokens = [
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # changed signature
        token[: len(token) // 2],  # cut short
        "not-a-token",
        unsubscribe_token(other_portal, ada.id, "comment"),  # signed by someone else
        unsubscribe_token(app.state.settings, ada.id, "no-such-kind"),
        "%00%ff",
    ]
    for bad in bad_tokens:
        response = await visitor.client.request(method, f"/unsubscribe/{bad}", data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 400, bad
        assert "This unsubscribe link is not valid" in response.text

    gone = unsubscribe_token(app.state.settings, 987654, "comment")
    response = await visitor.client.request(method, f"/unsubscribe/{gone}")
    assert response.status_code == 404 and "no longer exists" in response.text

    await linus.comment(idea, "Still subscribed")
    await deliver(app)
    assert len(mailbox.to("ada@example.org")) == 2


async def test_with_the_smtp_server_down_emails_wait_and_are_retried_until_it_is_back(app, person, mailbox):
    ada, linus = await person("ada"), await person("linus")
    root = await person("root", role="admin")
    idea = await ada.submit_idea("Dark mode")
    mailbox.stop()
    await linus.comment(idea, "Yes")
    start = utcnow()

    first = await deliver(app, now=start)
    assert (first.done, first.retried) == (1, 1)  # composed, then sending failed
    [row] = await app.state.db.fetch_all(sa.select(outbox))
    assert row["status"] == "queued" and row["attempts"] == 1 and "Connect" in row["last_error"]
    page = await root.get("/admin/outbox")
    assert "queued" in page.text and "Last error" in page.text

    assert (await deliver(app, now=start + timedelta(seconds=50))).total == 0  # not before the backoff
    second = await deliver(app, now=start + timedelta(seconds=61))
    assert second.retried == 1

    mailbox.start()
    third = await deliver(app, now=start + timedelta(minutes=6))
    assert third.done == 1
    assert [message["Subject"] for message in mailbox.to("ada@example.org")] == ["Linus commented on “Dark mode”"]
    [row] = await app.state.db.fetch_all(sa.select(outbox))
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 3, None)
    page = await root.get("/admin/outbox")
    assert "sent" in page.text and "Last error" not in page.text


async def test_an_address_the_server_refuses_is_marked_failed_and_the_others_are_still_sent(app, person, mailbox):
    ada, linus = await person("ada"), await person("linus")
    bounce = await person("bounce")
    await app.state.db.execute(users.update().where(users.c.id == bounce.id).values(email="bounce@example.org"))
    idea = await ada.submit_idea("Dark mode")
    await bounce.post(f"/ideas/{idea}/follow", {"follow": "1"})

    await linus.comment(idea, "Yes")
    report = await deliver(app)

    assert report.failed == 0
    assert len(mailbox.to("ada@example.org")) == 1 and mailbox.to("bounce@example.org") == []
    rows = await app.state.db.fetch_all(sa.select(outbox.c.to_address, outbox.c.status, outbox.c.last_error))
    states = {row["to_address"]: (row["status"], row["last_error"] or "") for row in rows}
    assert states["ada@example.org"] == ("sent", "")
    assert states["bounce@example.org"][0] == "failed" and "No such mailbox" in states["bounce@example.org"][1]


async def test_the_smtp_password_never_reaches_the_log_or_the_outbox(database_url, tmp_path, mailbox, caplog):
    from portal.app import create_app
    from portal.jobs.queries import list_jobs
    from tests.people import Person

    settings = make_settings(
        database_url,
        tmp_path,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(mailbox.port),
        SMTP_TLS="none",
        SMTP_USERNAME="portal",
        SMTP_PASSWORD="hunter2-smtp-secret",
    )
    assert "hunter2" not in repr(settings)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        ada, linus = await Person.create(app, "ada"), await Person.create(app, "linus")
        await ada.sign_in()
        await linus.sign_in()
        idea = await ada.submit_idea("Dark mode")
        await linus.comment(idea, "Yes")
        with caplog.at_level(logging.DEBUG):
            report = await deliver(app)  # this test server offers no AUTH: signing in fails
        rows = await app.state.db.fetch_all(sa.select(outbox.c.status, outbox.c.last_error))
        jobs = await list_jobs(app.state.db)
        await ada.close()
        await linus.close()
    assert report.retried == 1 and rows[0]["status"] == "queued" and "AUTH" in rows[0]["last_error"]
    assert mailbox.received == []
    everything = caplog.text + repr([dict(row) for row in rows]) + repr([row["last_error"] for row in jobs])
    assert "hunter2" not in everything


async def test_a_deleted_member_s_name_leaves_the_emails_sent_to_others(app, person, mailbox, db):
    ada, linus = await person("ada"), await person("linus")
    idea = await ada.submit_idea("Offline mode")
    await linus.comment(idea, "Would love this on the train.")
    await deliver(app)
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(outbox)) == 1
    await linus.get("/settings/data")
    assert (await linus.post("/settings/data/delete", {"confirm_username": "linus"})).status_code == 200
    messages = [row["message"] for row in await db.fetch_all(sa.select(outbox.c.message))]
    assert not any("Linus" in message for message in messages)


async def test_a_notification_about_an_idea_hidden_before_its_email_goes_out_is_not_sent(app, person, mailbox):
    ada, linus = await person("ada"), await person("linus")
    grace = await person("grace", role="maintainer")
    spam = await ada.submit_idea("Cheap pills at spam.example")
    kept = await ada.submit_idea("Dark mode")
    await linus.comment(spam, "Buy now")
    await linus.comment(kept, "Yes please")
    hide = {"kind": "idea", "id": str(spam), "action": "hide", "note": "Spam."}
    assert (await grace.post("/moderation/act", hide)).status_code == 303
    await deliver(app)
    assert [message["Subject"] for message in mailbox.to("ada@example.org")] == ["Linus commented on “Dark mode”"]


async def sign_up_as_nora(visitor) -> None:
    await visitor.get("/signup")
    signup = {"username": "nora", "display_name": "Nora", "email": "nora@example.org", "password": "correct horse"}
    signed_up = await visitor.post("/signup", signup)
    assert signed_up.status_code == 303
    await visitor.get(signed_up.headers["location"])  # the new session's CSRF token


async def test_a_password_sign_up_confirms_its_address_before_any_notification_is_emailed(
    app, person, visitor, mailbox, db
):
    await sign_up_as_nora(visitor)
    linus = await person("linus")
    idea = await visitor.submit_idea("Dark mode")
    await linus.comment(idea, "Yes please")
    await deliver(app)
    [confirm] = mailbox.to("nora@example.org")  # the link, and no notification yet
    assert confirm["Subject"] == "Confirm your email address for Roundtable"
    assert "List-Unsubscribe" not in confirm  # asked for, not a list
    link = re.search(rf"{PUBLIC_URL}(/confirm-email/\S+)", text_of(confirm)).group(1)
    assert f'href="{PUBLIC_URL}{link}"' in html_of(confirm)

    assert "we sent a link to nora@example.org" in (await visitor.get("/welcome")).text
    settings_page = (await visitor.get("/settings/accounts")).text
    assert "not confirmed yet" in settings_page and "Email me the link again" not in settings_page
    # Only the POST confirms: a mail scanner that fetches the link changes nothing.
    shown = await visitor.get(link)
    assert shown.status_code == 200 and "Confirm that nora@example.org is your address" in shown.text
    assert await db.fetch_val(sa.select(users.c.email_verified_at).where(users.c.username == "nora")) is None
    for tampered in (link[:-3] + "xyz", "/confirm-email/nonsense"):
        refused = await visitor.post(tampered)
        assert refused.status_code == 404 and "not valid or has expired" in refused.text
    async with Person.browsing(app) as stranger:  # the link works without the session that asked
        confirmed = await stranger.post(link)
    assert confirmed.status_code == 200 and "nora@example.org is confirmed" in confirmed.text
    assert "nora@example.org: confirmed." in (await visitor.get("/settings/accounts")).text
    assert "we sent a link to" not in (await visitor.get("/welcome")).text

    await linus.comment(idea, "Any news?")
    await deliver(app)
    assert [message["Subject"] for message in mailbox.to("nora@example.org")][1:] == ["Linus commented on “Dark mode”"]


async def test_the_confirmation_link_can_be_sent_again_but_not_every_minute(app, visitor, mailbox, db):
    await sign_up_as_nora(visitor)
    assert (await visitor.post("/settings/email/confirm")).status_code == 303
    await deliver(app)
    assert len(mailbox.to("nora@example.org")) == 1  # asked again at once: not sent twice
    long_ago = utcnow() - timedelta(minutes=11)
    await db.execute(users.update().where(users.c.username == "nora").values(email_confirmation_sent_at=long_ago))
    assert "Email me the link again" in (await visitor.get("/settings/accounts")).text
    assert (await visitor.post("/settings/email/confirm")).status_code == 303
    await deliver(app)
    first, second = mailbox.to("nora@example.org")
    assert second["Subject"] == first["Subject"]
    # A link sent to an address the account no longer has confirms nothing.
    link = re.search(rf"{PUBLIC_URL}(/confirm-email/\S+)", text_of(second)).group(1)
    await db.execute(users.update().where(users.c.username == "nora").values(email="nora@new.example.org"))
    refused = await visitor.post(link)
    assert refused.status_code == 409 and "no longer has" in refused.text
    assert await db.fetch_val(sa.select(users.c.email_verified_at).where(users.c.username == "nora")) is None


async def test_a_forgotten_password_is_replaced_through_an_emailed_link_that_works_once(
    app, person, visitor, mailbox, db
):
    ada = await person("ada")  # signed in on another browser, which the new password signs out
    assert "Forgot your password?" in (await visitor.get("/signin")).text
    unknown = await visitor.post("/password/forgot", {"login": "nobody@example.org"})
    asked = await visitor.post("/password/forgot", {"login": "ADA@example.org"})
    assert unknown.status_code == asked.status_code == 200
    assert "If an account has that username or email" in unknown.text
    assert unknown.text.count("we have emailed") == asked.text.count("we have emailed") == 1
    again = await visitor.post("/password/forgot", {"login": "ada"})  # within ten minutes: not sent again
    assert again.status_code == 200
    empty = await visitor.post("/password/forgot", {"login": ""})
    assert empty.status_code == 400 and "is required" in empty.text
    await deliver(app)
    [email] = mailbox.received
    assert email["To"] == "Ada <ada@example.org>" and email["Subject"] == "Choose a new password for Roundtable"
    link = re.search(rf"{PUBLIC_URL}(/password/reset/\S+)", text_of(email)).group(1)

    form = await visitor.get(link)
    assert form.status_code == 200 and "For ada (ada@example.org)" in form.text
    short = await visitor.post(link, {"password": "short"})
    assert short.status_code == 400 and "at least 12 characters" in short.text and 'value="short"' not in short.text
    done = await visitor.post(link, {"password": "a much better password"})
    assert done.status_code == 303 and "Sign out" in (await visitor.get("/")).text
    assert "Sign out" not in (await ada.get("/")).text  # the other browser was signed out
    used = await visitor.get(link)
    assert used.status_code == 404 and "was used already" in used.text
    assert (await visitor.post(link, {"password": "yet another password"})).status_code == 404
    assert (await visitor.get(link[:-4] + "abcd")).status_code == 404

    async with Person.browsing(app) as later:
        await later.get("/signin")
        old = await later.post("/signin", {"login": "ada", "password": PASSWORD})
        assert old.status_code == 400
        new = await later.post("/signin", {"login": "ada", "password": "a much better password"})
        assert new.status_code == 303


async def test_changing_the_address_asks_for_the_password_confirms_the_new_one_and_tells_the_old(
    app, person, mailbox, db
):
    ada, linus = await person("ada"), await person("linus")
    await person("grace")
    page = (await ada.get("/settings/accounts")).text
    assert "ada@example.org: confirmed." in page and 'name="password"' in page
    for fields, error in (
        ({"email": "ada@new.example.org", "password": "wrong password"}, "That is not your current password."),
        ({"email": "grace@example.org", "password": PASSWORD}, "Another account uses that address."),
        ({"email": "ADA@example.org", "password": PASSWORD}, "That is your address already."),
        ({"email": "not an address", "password": PASSWORD}, "does not look like an email address"),
    ):
        refused = await ada.post("/settings/email", fields)
        assert refused.status_code == 400 and error in refused.text, fields
        assert f'value="{fields["email"]}"' in refused.text and PASSWORD not in refused.text
    assert await db.fetch_val(sa.select(users.c.email).where(users.c.id == ada.id)) == "ada@example.org"

    changed = await ada.post("/settings/email", {"email": "Ada@New.example.org", "password": PASSWORD})
    assert changed.status_code == 303
    assert "ada@new.example.org: <strong>not confirmed yet</strong>" in (await ada.get("/settings/accounts")).text
    idea = await linus.submit_idea("Dark mode")
    await ada.vote(idea)
    await linus.comment(idea, "Thanks for the vote")
    await deliver(app)
    [notice] = mailbox.to("ada@example.org")
    assert notice["Subject"] == "Your email address on Roundtable was changed"
    assert "ada@new.example.org" in text_of(notice) and f"{PUBLIC_URL}/password/forgot" in text_of(notice)
    [confirm] = mailbox.to("ada@new.example.org")  # and no notification until it is confirmed
    link = re.search(rf"{PUBLIC_URL}(/confirm-email/\S+)", text_of(confirm)).group(1)
    assert (await ada.post(link)).status_code == 200
    await linus.comment(idea, "Still there?")
    await deliver(app)
    assert [message["Subject"] for message in mailbox.to("ada@new.example.org")][1:] == [
        "Linus commented on “Dark mode”"
    ]


async def test_choosing_a_password_for_an_unconfirmed_account_ends_its_maker_s_other_ways_in(app, visitor, mailbox, db):
    from portal.accounts.tables import api_tokens, oauth_accounts
    from tests.api_client import api_client, create_token

    await sign_up_as_nora(visitor)  # a squatter, with nora's address
    token = await create_token(visitor)
    nora_id = await db.fetch_val(sa.select(users.c.id).where(users.c.username == "nora"))
    await db.execute(
        oauth_accounts.insert().values(
            provider="oidc", subject="squatter", user_id=nora_id, email="s@example.org", created_at=utcnow()
        )
    )
    await deliver(app)
    confirm = mailbox.to("nora@example.org")[0]
    link = re.search(rf"{PUBLIC_URL}(/confirm-email/\S+)", text_of(confirm)).group(1)
    assert "for the account nora" in (await visitor.get(link)).text  # the owner sees whose account it is

    async with Person.browsing(app) as owner:
        await owner.post("/password/forgot", {"login": "nora@example.org"})
        await deliver(app)
        reset = re.search(rf"{PUBLIC_URL}(/password/reset/\S+)", text_of(mailbox.to("nora@example.org")[-1])).group(1)
        assert (await owner.post(reset, {"password": "the owner's own password"})).status_code == 303
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(api_tokens)) == 0
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(oauth_accounts)) == 0
    async with api_client(app, token) as script:
        assert (await script.get("/api/v1/ideas")).status_code == 401


async def test_a_notification_made_about_a_hidden_idea_is_hidden_and_queued_emails_are_dropped(
    app, person, mailbox, db
):
    from portal.notifications.tables import notifications

    ada, linus = await person("ada"), await person("linus")
    grace = await person("grace", role="maintainer")
    spam = await ada.submit_idea("Cheap pills at spam.example")
    await linus.comment(spam, "Buy now")  # its email waits in the outbox: the SMTP server is down
    mailbox.stop()
    await deliver(app)
    hide = {"kind": "idea", "id": str(spam), "action": "hide", "note": "Spam."}
    assert (await grace.post("/moderation/act", hide)).status_code == 303
    assert (await grace.post(f"/ideas/{spam}/status", {"status": "declined", "note": "Spam."})).status_code == 303
    mailbox.start()
    await deliver(app, now=utcnow() + timedelta(hours=2))
    assert mailbox.to("ada@example.org") == []
    rows = await db.fetch_all(sa.select(notifications.c.subject, notifications.c.hidden))
    assert rows and all(row["hidden"] for row in rows if "spam.example" in row["subject"])


async def test_a_member_is_told_when_a_token_is_made_on_their_account(app, person, mailbox):
    ada = await person("ada")
    made = await ada.post("/settings/tokens", {"name": "release <script>", "scope": "write"})
    assert made.status_code == 201
    await deliver(app)
    [notice] = mailbox.to("ada@example.org")
    assert notice["Subject"] == "A new way into your account on Roundtable"
    assert "An API token (write) named “release <script>” was made on your account on Roundtable." in text_of(notice)
    assert f"{PUBLIC_URL}/password/forgot" in text_of(notice)
    assert "release &lt;script&gt;" in html_of(notice)
