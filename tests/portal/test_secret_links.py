"""Secret links (choosing a password, confirming an address, unsubscribing) reach only the member
they were emailed to: an admin reading the outbox or the export, or an operator reading the
logs, sees them masked and cannot follow them."""

import email
import email.policy
import json
import logging
import re
from datetime import timedelta
from email.message import EmailMessage

import httpx
import pytest
import sqlalchemy as sa
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from starlette.routing import Mount

from portal import secret_links
from portal.db import utcnow
from portal.jobs.runner import run_due_jobs
from portal.mail.tables import outbox
from portal.notifications.delivery import next_digest_at
from tests.apps import make_settings
from tests.mailbox import Mailbox, text_of
from tests.people import Person
from tests.servers import serving
from tests.waiting import poll

PUBLIC_URL = "http://ideas.example.net"
_SECRET_LINK = re.compile(
    re.escape(PUBLIC_URL) + r"((?:/password/reset/|/confirm-email/|/unsubscribe/)[A-Za-z0-9_.\-]+)"
)


@pytest.fixture
def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path, PUBLIC_URL=PUBLIC_URL)


def secret_paths_in(raw: str) -> set[str]:
    """Every secret link of a stored email, from its headers and every decoded text part."""
    message = email.message_from_string(raw, policy=email.policy.default)
    places = [str(value) for value in message.values()]
    places += [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
    return {match for place in places for match in _SECRET_LINK.findall(place)}


async def every_kind_of_secret_email(app, person, visitor) -> set[str]:
    """A sign-up (its confirmation), a forgotten password, a notification and a digest (their
    unsubscribe links), all through the site; returns the secret paths the outbox holds."""
    ada, linus = await person("ada"), await person("linus")
    await visitor.get("/signup")
    signup = {"username": "nora", "email": "nora@example.org", "password": "frequency hopping spread"}
    assert (await visitor.post("/signup", signup)).status_code == 303
    async with Person.browsing(app) as someone:
        assert (await someone.post("/password/forgot", {"login": "ada"})).status_code == 200
    assert (await linus.post("/boards/general/follow", {"follow": "1"})).status_code == 303
    idea = await ada.submit_idea("Dark mode")  # in linus's digest; ada follows her idea
    await linus.comment(idea, "Yes please")
    now = utcnow()
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly, now=now)
    await run_due_jobs(
        app.state.db,
        app.state.settings,
        app.state.assembly,
        now=next_digest_at(now, app.state.settings.digest_hour) + timedelta(seconds=1),
    )
    rows = await app.state.db.fetch_all(sa.select(outbox.c.kind, outbox.c.message))
    paths = {path for row in rows for path in secret_paths_in(row["message"])}
    kinds = {row["kind"] for row in rows}
    assert {"confirm-email", "reset-password", "comment", "digest"} <= kinds, kinds
    assert {path.split("/")[1] for path in paths} == {"password", "confirm-email", "unsubscribe"}
    for path in paths:  # each works for whoever holds it: the page must not give it away
        assert (await visitor.get(path)).status_code == 200, path
    return paths


async def test_the_outbox_page_shows_every_email_with_its_secret_links_masked_and_none_can_be_followed(
    app, person, visitor
):
    root = await person("root", role="admin")
    paths = await every_kind_of_secret_email(app, person, visitor)

    page = await root.get("/admin/outbox")
    assert page.status_code == 200
    for path in paths:
        token = path.rsplit("/", 1)[1]
        assert token not in page.text, path
    tree = HTMLParser(page.text)
    shown = " ".join(node.text() for node in tree.css("pre.email-text"))
    assert f"{PUBLIC_URL}/password/reset/{secret_links.MASK}" in shown
    assert f"{PUBLIC_URL}/confirm-email/{secret_links.MASK}" in shown
    assert f"{PUBLIC_URL}/unsubscribe/{secret_links.MASK}" in shown
    assert "Dark mode" in shown  # the rest of each email is there to read

    links = {node.attributes.get("href") or "" for node in tree.css("[href]")}
    links |= set(re.findall(r"https?://[^\s\"'<>]+", tree.body.text()))
    followed = 0
    for link in links:
        path = link.removeprefix(PUBLIC_URL)
        if path.startswith(("/password/reset/", "/confirm-email/", "/unsubscribe/")):
            answer = await visitor.get(path)
            assert answer.status_code in (400, 404), (link, answer.status_code)
            followed += 1
    assert followed >= 3


async def test_the_instance_export_carries_the_outbox_with_its_secret_links_masked(app, person, visitor):
    root = await person("root", role="admin")
    paths = await every_kind_of_secret_email(app, person, visitor)

    download = await root.get("/admin/export/download")
    assert download.status_code == 200
    for path in paths:
        assert path.rsplit("/", 1)[1] not in download.text, path
    archive = json.loads(download.text)["tables"]["outbox"]
    messages = [row[archive["columns"].index("message")] for row in archive["rows"]]
    assert messages and all(secret_paths_in(message) == set() for message in messages)
    assert any(f"/password/reset/{secret_links.MASK}" in str(secret_links_text(m)) for m in messages)


def secret_links_text(raw: str) -> str:
    message = email.message_from_string(raw, policy=email.policy.default)
    return message.get_body(("plain",)).get_content()


def test_every_route_with_a_token_in_its_path_is_one_whose_links_are_masked(app):
    def paths(routes, prefix=""):
        for route in routes:
            if isinstance(route, Mount):
                yield from paths(route.routes, prefix + route.path)
            else:
                yield prefix + route.path

    token = "abc.DEF-123_x"
    with_tokens = [path for path in paths(app.routes) if re.search(r"\{(token|secret)\b", path)]
    assert len(with_tokens) >= 4
    for path in with_tokens:
        example = re.sub(r"\{(token|secret)[^}]*\}", token, re.sub(r"\{\w+:id\}", "12", path))
        assert secret_links.is_secret(example), path
        assert token not in secret_links.mask(f"GET {example}?next=/ HTTP/1.1"), path


@pytest.mark.parametrize("workers", [1, 2])
def test_the_real_server_s_access_log_holds_neither_the_reset_nor_the_confirmation_token(
    database_url, tmp_path, workers
):
    """`roundtable serve` with its access log on (one uvicorn process, or workers under gunicorn):
    nora signs up, confirms her address and sets a new password through the emailed links; the
    log shows the requests with the tokens masked."""
    mailbox = Mailbox()
    mailbox.start()
    settings = {
        "LOG_LEVEL": "info",
        "PUBLIC_URL": PUBLIC_URL,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mailbox.port),
        "SMTP_TLS": "none",
    }
    try:
        with serving(database_url, tmp_path, workers=workers, **settings) as server:
            with httpx.Client(base_url=server.url, timeout=30) as nora:
                csrf = csrf_of(nora.get("/signup"))
                signup = {"csrf_token": csrf, "username": "nora", "email": "nora@example.org"}
                assert nora.post("/signup", data={**signup, "password": "frequency hopping spread"}).status_code == 303
                confirm = _SECRET_LINK.search(text_of(email_to(mailbox, "Confirm"))).group(1)
                assert nora.post(confirm, data={"csrf_token": csrf_of(nora.get(confirm))}).status_code == 200
                nora.cookies.clear()
                csrf = csrf_of(nora.get("/password/forgot"))
                assert nora.post("/password/forgot", data={"csrf_token": csrf, "login": "nora"}).status_code == 200
                reset = _SECRET_LINK.search(text_of(email_to(mailbox, "Choose a new password"))).group(1)
                chosen = {"csrf_token": csrf_of(nora.get(reset)), "password": "a far better passphrase"}
                assert nora.post(reset, data=chosen).status_code == 303
    finally:
        mailbox.stop()

    logged = server.output()
    assert re.search(r'"GET /password/reset/\S+ HTTP/1\.1" 200', logged), logged  # the access log is on
    assert re.search(r'"POST /confirm-email/\S+ HTTP/1\.1" 200', logged), logged
    for path in (confirm, reset):
        assert path.rsplit("/", 1)[1] not in logged
    assert "nora@example.org" not in logged


def csrf_of(page: httpx.Response) -> str:
    return HTMLParser(page.text).css_first('input[name="csrf_token"]').attributes["value"]


def email_to(mailbox: Mailbox, subject: str) -> EmailMessage:
    """The email whose subject starts with `subject`, once the server has sent it."""

    def arrived() -> list[EmailMessage]:
        return [message for message in mailbox.received if str(message["Subject"]).startswith(subject)]

    found = poll(arrived, within=30)
    assert found, f"no email “{subject}…” arrived: {[m['Subject'] for m in mailbox.received]}"
    return found[-1]


async def test_an_error_on_a_secret_link_is_logged_without_its_token(app, visitor, monkeypatch, caplog):
    from portal.accounts import email_links

    def broken(*args):
        raise RuntimeError("the page broke")

    monkeypatch.setattr(email_links, "read_reset_token", broken)
    with caplog.at_level(logging.ERROR, logger="roundtable"), pytest.raises(RuntimeError):
        await visitor.get("/password/reset/WzEsImFkYUBleGFtcGxlLm9yZyJd.secret")
    assert "Unhandled error on GET /password/reset/•••" in caplog.text
    assert "WzEsImFkYUBleGFtcGxlLm9yZyJd" not in caplog.text


@pytest.mark.parametrize("workers", [1, 2])
def test_the_served_portal_logs_its_own_lines_with_secret_links_masked(database_url, tmp_path, workers):
    """`roundtable serve` without SMTP_HOST writes each email to its log instead of sending it
    (one uvicorn process, or workers under gunicorn): nora's confirmation email is there, with
    its link masked, so the portal's own log lines are printed at all."""
    with serving(database_url, tmp_path, workers=workers, LOG_LEVEL="info", PUBLIC_URL=PUBLIC_URL) as server:
        with httpx.Client(base_url=server.url, timeout=30) as nora:
            signup = {"csrf_token": csrf_of(nora.get("/signup")), "username": "nora", "email": "nora@example.org"}
            assert nora.post("/signup", data={**signup, "password": "frequency hopping spread"}).status_code == 303
        printed = poll(lambda: "(no SMTP_HOST set)" in server.output(), within=60, every=0.1, scaled=True)
        logged = server.output()
        assert printed, logged
    assert f"{PUBLIC_URL}/confirm-email/{secret_links.MASK}" in logged, logged
    assert not _SECRET_LINK.search(logged.replace(secret_links.MASK, "")), logged


def test_the_readme_shows_a_webhook_address_in_the_access_log_as_the_log_masks_it():
    """The README tells operators what a webhook's address looks like in the access log."""
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    shown = re.search(r"access logs show it as `(/hooks/repos/[^`]*)`", readme)
    assert shown is not None, "the README no longer says how the access log shows a webhook's address"
    example = shown.group(1).replace("<id>", "7")
    assert example == secret_links.masked_path("/hooks/repos/7/s3cr3t-t0ken")
