"""What the emails say, read from their MIME parts as a mail client shows them: every line apart,
every link one a reader can follow."""

import re
from datetime import timedelta

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from portal.db import utcnow
from portal.jobs.runner import run_due_jobs
from portal.notifications.delivery import next_digest_at
from portal.notifications.tables import KINDS
from tests.ideas.discussions.helpers import reply, start_thread
from tests.mailbox import PUBLIC_URL, emailing_settings, html_of, portal_links, text_of
from tests.people import PASSWORD


@pytest.fixture
def settings(database_url, tmp_path, mailbox):
    return emailing_settings(database_url, tmp_path, mailbox, DIGEST_HOUR="7")


def text_in(message) -> str:
    """The text part with its lines ended as Python ends them (SMTP carries them as CRLF)."""
    return text_of(message).replace("\r\n", "\n")


def link_named(page: HTMLParser, text: str) -> str:
    [href] = [link.attributes["href"] for link in page.css("a") if link.text(strip=True) == text]
    return href


async def deliver(app, **kwargs):
    return await run_due_jobs(app.state.db, app.state.settings, app.state.assembly, **kwargs)


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
    assert notification.startswith(
        f"Linus commented on “Dark mode”\n\nYes please\n\nRead it on Roundtable: {PUBLIC_URL}/ideas/{idea}#comment-1\n"
    )
    digest = text_in(subjects["Roundtable: your daily digest (1 new)"])
    assert f"* Linus commented on “Dark mode”\n  {PUBLIC_URL}/ideas/{idea}" in digest


async def test_a_comment_email_carries_the_comment_as_text_and_links_to_the_reply_form(app, person, mailbox):
    ada, linus = await person("ada"), await person("linus")
    idea = await ada.submit_idea("Dark mode")
    comment = (
        "I **really** want this, @ada.\n\n"
        "* on the phone\n* on the [web](https://example.com/web)\n\n"
        "> as the docs say\n\n"
        "```\nprefers-color-scheme: dark\n```"
    )
    assert (await linus.comment(idea, comment)).status_code == 303
    await deliver(app)

    [message] = mailbox.to("ada@example.org")
    text = text_in(message)
    assert text.startswith(
        "Linus mentioned you in a comment on “Dark mode”\n\n"
        "I really want this, @ada.\n\n"
        "* on the phone\n* on the web (https://example.com/web)\n\n"
        "> as the docs say\n\n"
        "    prefers-color-scheme: dark\n\n"
        f"Read it on Roundtable: {PUBLIC_URL}/ideas/{idea}#comment-1\n"
        f"Reply: {PUBLIC_URL}/ideas/{idea}#body\n"
    ), text
    html = HTMLParser(html_of(message))
    assert "I really want this, @ada." in html.css_first("blockquote").text()
    reply = link_named(html, "Reply")
    assert reply == f"{PUBLIC_URL}/ideas/{idea}#body"
    # The link leads to the form that answers: the textarea it names, in the comment form.
    path, _, anchor = reply.removeprefix(PUBLIC_URL).partition("#")
    page = HTMLParser((await ada.get(path)).text)
    target = page.css_first(f"#{anchor}")
    assert target.tag == "textarea" and target.parent.parent.attributes["action"] == f"/ideas/{idea}/comments"


async def test_a_long_reply_is_shortened_with_a_link_to_the_rest(app, person, mailbox):
    ada, linus = await person("ada"), await person("linus")
    thread = await start_thread(ada, "Sync over Bluetooth")
    words = " ".join(f"word{number}" for number in range(600))  # about 4,700 characters
    reply_id = await reply(linus, thread, f"{words}\n\nThe end.")
    await deliver(app)

    [message] = mailbox.to("ada@example.org")
    text = text_in(message)
    quoted = text.split("\n\n")[1]
    assert quoted.startswith("word0 word1") and quoted.endswith("…") and len(quoted) <= 1500
    assert re.search(r"word\d+…$", quoted) and "The end." not in text  # cut at a word
    assert f"Read the rest: {PUBLIC_URL}/discussions/{thread}#reply-{reply_id}\n" in text
    assert f"Reply: {PUBLIC_URL}/discussions/{thread}#body\n" in text
    html = HTMLParser(html_of(message))
    assert link_named(html, "Read the rest").endswith(f"#reply-{reply_id}")
    page = HTMLParser((await ada.get(f"/discussions/{thread}")).text)
    assert page.css_first("#body").parent.parent.attributes["action"] == f"/discussions/{thread}/replies"


HOSTILE = (
    '<script>alert("pwned")</script> <img src=x onerror=alert(1)> '
    '<a href="javascript:alert(3)">click</a> [link](javascript:alert(2)) <style>body{display:none}</style>'
)


async def test_markup_in_a_comment_reaches_the_email_as_text_never_as_markup(app, person, mailbox):
    ada, linus = await person("ada"), await person("linus")
    idea = await ada.submit_idea("Dark mode")
    assert (await linus.comment(idea, HOSTILE)).status_code == 303
    await deliver(app)

    [message] = mailbox.to("ada@example.org")
    html = HTMLParser(html_of(message))
    assert html.css("script, img, style, iframe") == []
    assert not [node for node in html.css("*") if any(name.startswith("on") for name in node.attributes)]
    assert all(link.attributes["href"].startswith(PUBLIC_URL) for link in html.css("a"))
    # What linus typed is shown as he typed it, as the idea's page shows it.
    assert html.css_first("blockquote").text(strip=True) == HOSTILE
    assert HOSTILE in text_in(message)


async def test_a_comment_hidden_or_deleted_before_its_email_goes_out_is_not_quoted(app, person, mailbox):
    ada, linus = await person("ada"), await person("linus")
    grace = await person("grace", role="maintainer")
    idea = await ada.submit_idea("Dark mode")
    await linus.comment(idea, "My phone number is 555-0100")
    await linus.comment(idea, "Something I regret")
    hide = {"kind": "comment", "id": "1", "action": "hide", "note": "Personal data."}
    assert (await grace.post("/moderation/act", hide)).status_code == 303
    assert (await linus.post("/comments/2/delete")).status_code == 303
    await deliver(app)
    messages = mailbox.to("ada@example.org")
    assert [message["Subject"] for message in messages] == ["Linus commented on “Dark mode”"] * 2
    for message in messages:
        assert "555-0100" not in message.as_string() and "regret" not in message.as_string()
        assert text_in(message).startswith(f"Linus commented on “Dark mode”\n\n{PUBLIC_URL}/ideas/{idea}#comment-")
