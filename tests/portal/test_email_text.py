"""What the emails say, read from their MIME parts as a mail client shows them: every line apart,
every link one a reader can follow."""

import re
from datetime import timedelta

import pytest

from portal.db import utcnow
from portal.jobs.runner import run_due_jobs
from portal.notifications.delivery import next_digest_at
from portal.notifications.tables import KINDS
from tests.conftest import make_settings
from tests.mailbox import Mailbox, portal_links, text_of
from tests.people import PASSWORD

PUBLIC_URL = "http://ideas.example.net"


@pytest.fixture
def mailbox():
    box = Mailbox()
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
        DIGEST_HOUR="7",
    )


def text_in(message) -> str:
    """The text part with its lines ended as Python ends them (SMTP carries them as CRLF)."""
    return text_of(message).replace("\r\n", "\n")


async def deliver(app, **kwargs):
    return await run_due_jobs(app.state.db, app.state.settings, **kwargs)


FOOTER = re.compile(
    r"\n\n-- \n"
    r"You get this email from Roundtable because of your email settings:\n"
    rf"{re.escape(PUBLIC_URL)}/settings/notifications\n"
    r'(Stop emails about "[^"\n]+": \S+\n)+'
    r"Stop all email from Roundtable: \S+\n?$"
)


async def test_every_kind_of_email_keeps_its_lines_apart_and_every_link_leads_somewhere(app, person, visitor, mailbox):
    ada, linus, alan = await person("ada"), await person("linus"), await person("alan")
    daily = {f"email_{kind}": "daily" if kind == "comment" else "immediately" for kind in KINDS}
    assert (await alan.post("/settings/notifications", daily)).status_code == 303
    idea = await ada.submit_idea("Dark mode")
    await alan.post(f"/ideas/{idea}/follow", {"follow": "1"})
    await linus.comment(idea, "Yes please")  # ada at once, alan in his digest
    assert (await ada.post("/settings/tokens", {"name": "deploy", "scope": "read"})).status_code == 201
    await visitor.post("/password/forgot", {"login": "alan"})
    changed = await linus.post("/settings/email", {"email": "linus@new.example.org", "password": PASSWORD})
    assert changed.status_code == 303  # tells the old address, asks the new one to confirm
    now = utcnow()
    await deliver(app, now=now)
    await deliver(app, now=next_digest_at(now, 7) + timedelta(minutes=1))

    subjects = {message["Subject"]: message for message in mailbox.received}
    assert set(subjects) == {
        "Linus commented on “Dark mode”",
        "A new way into your account on Roundtable",
        "Choose a new password for Roundtable",
        "Your email address on Roundtable was changed",
        "Confirm your email address for Roundtable",
        "Roundtable: your daily digest (1 new)",
    }
    for subject, message in subjects.items():
        text = text_in(message)
        links = portal_links(message, PUBLIC_URL)
        assert links, subject
        for link in links:
            # A link run into the next word ("…/settings/notificationsStop") leads nowhere.
            response = await visitor.client.get(link.removeprefix(PUBLIC_URL))
            assert response.status_code in (200, 303), (subject, link, text)
        assert "\n\n\n" not in text, (subject, text)
    for subject in ("Linus commented on “Dark mode”", "Roundtable: your daily digest (1 new)"):
        assert FOOTER.search(text_in(subjects[subject])), text_in(subjects[subject])
    notification = text_in(subjects["Linus commented on “Dark mode”"])
    assert notification.startswith(f"Linus commented on “Dark mode”\n\n{PUBLIC_URL}/ideas/{idea}")
    digest = text_in(subjects["Roundtable: your daily digest (1 new)"])
    assert f"* Linus commented on “Dark mode”\n  {PUBLIC_URL}/ideas/{idea}" in digest
