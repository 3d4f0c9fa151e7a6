"""Daily digests at the hour set, with the clock under the test's control; and the email settings form."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from portal.db import utcnow
from portal.jobs.runner import run_due_jobs
from portal.notifications.delivery import next_digest_at
from portal.notifications.tables import KINDS, email_preferences
from tests.mailbox import PUBLIC_URL, emailing_settings, text_of
from tests.pages import has, shown, tree, values


@pytest.fixture
def settings(database_url, tmp_path, mailbox):
    return emailing_settings(database_url, tmp_path, mailbox, DIGEST_HOUR="7")


def choices(**chosen: str) -> dict[str, str]:
    return {f"email_{kind}": chosen.get(kind, "immediately") for kind in KINDS}


async def test_ada_gets_one_digest_at_seven_with_everything_since_the_last_one_and_never_twice(app, person, mailbox):
    ada, linus, alan = await person("ada"), await person("linus"), await person("alan")
    grace = await person("grace", role="maintainer")
    assert (await ada.post("/settings/notifications", choices(comment="daily"))).status_code == 303
    idea = await ada.submit_idea("Dark mode")
    await linus.comment(idea, "Yes please")
    await alan.comment(idea, "Also for the editor")
    await grace.comment(idea, "We are on it.")  # an official response: emailed at once by default
    now = utcnow()
    seven = next_digest_at(now, 7)

    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly, now=now)
    assert [message["Subject"] for message in mailbox.to("ada@example.org")] == ["Grace responded on “Dark mode”"]
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly, now=seven - timedelta(minutes=1))
    assert len(mailbox.to("ada@example.org")) == 1  # nothing before the hour

    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly, now=seven + timedelta(minutes=1))
    [_, digest] = mailbox.to("ada@example.org")
    assert digest["Subject"] == "Roundtable: your daily digest (2 new)"
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = text_of(digest)
    assert "Linus commented on “Dark mode”" in text and "Alan commented on “Dark mode”" in text
    assert "Grace responded" not in text and f"{PUBLIC_URL}/ideas/{idea}" in text
    assert 'Stop emails about "comments on ideas you follow"' in text

    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly, now=seven + timedelta(minutes=2))
    assert len(mailbox.to("ada@example.org")) == 2  # none twice

    await linus.comment(idea, "Any news?")
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly, now=seven + timedelta(minutes=5))
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly, now=seven + timedelta(days=1, minutes=-1))
    assert len(mailbox.to("ada@example.org")) == 2
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly, now=seven + timedelta(days=1, minutes=1))
    [*_, next_digest] = mailbox.to("ada@example.org")
    assert next_digest["Subject"] == "Roundtable: your daily digest (1 new)"
    assert text_of(next_digest).count("commented on") == 1


async def test_new_ideas_on_a_followed_board_come_in_the_digest_by_default(app, person, mailbox):
    ada, linus = await person("ada"), await person("linus")
    assert (await ada.post("/boards/general/follow", {"follow": "1"})).status_code == 303
    await linus.submit_idea("Offline mode")
    now = utcnow()
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly, now=now)
    assert mailbox.received == []
    await run_due_jobs(
        app.state.db, app.state.settings, app.state.assembly, now=next_digest_at(now, 7) + timedelta(seconds=1)
    )
    [digest] = mailbox.to("ada@example.org")
    assert "Linus shared a new idea on General: “Offline mode”" in text_of(digest)


async def test_ada_reads_her_email_settings_and_bad_input_changes_nothing(app, person, visitor, db):
    ada = await person("ada")
    page = await ada.get("/settings/notifications")
    assert page.status_code == 200
    daily = [option for option in tree(page).css("option[selected]") if option.attributes["value"] == "daily"]
    assert "In a daily digest" in [option.text() for option in daily]  # new ideas: daily by default
    assert "07:00 UTC" in shown(page)

    bad = choices(status="never", comment="sometimes")
    del bad["email_merge"]
    response = await ada.post("/settings/notifications", bad)
    assert response.status_code == 400
    assert "Choose how to hear about comments on ideas you follow" in shown(response)
    assert "Choose how to hear about ideas you follow merged into others" in shown(response)
    assert has(response, '[aria-invalid="true"]')
    # What she chose well is kept on the page, and nothing was saved.
    assert (
        '<select id="email_status" name="email_status" aria-invalid' not in response.text
        and 'value="never" selected' in response.text
    )
    assert await db.fetch_all(sa.select(email_preferences)) == []

    response = await ada.post("/settings/notifications", {**choices(status="never"), "emails_off": "on"})
    assert response.status_code == 303
    page = await ada.get(response.headers["location"])
    assert "Your email settings are saved" in shown(page) and values(page).get("emails_off")

    assert (await visitor.get("/settings/notifications")).headers["location"].startswith("/signin")
    forged = await ada.post("/settings/notifications", choices(status="daily"), csrf=False)
    assert forged.status_code == 403
    rows = await db.fetch_all(sa.select(email_preferences.c.delivery).where(email_preferences.c.kind == "status"))
    assert [row["delivery"] for row in rows] == ["never"]


async def test_what_ada_was_emailed_at_once_stays_out_of_her_digest_after_she_switches_to_daily(app, person, mailbox):
    ada, linus, alan = await person("ada"), await person("linus"), await person("alan")
    idea = await ada.submit_idea("Dark mode")
    await linus.comment(idea, "Yes please")
    now = utcnow()
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly, now=now)
    assert [message["Subject"] for message in mailbox.to("ada@example.org")] == ["Linus commented on “Dark mode”"]

    assert (await ada.post("/settings/notifications", choices(comment="daily"))).status_code == 303
    await alan.comment(idea, "Also for the editor")
    later = utcnow()
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly, now=later)
    await run_due_jobs(
        app.state.db, app.state.settings, app.state.assembly, now=next_digest_at(later, 7) + timedelta(minutes=1)
    )

    [_, digest] = mailbox.to("ada@example.org")
    assert digest["Subject"] == "Roundtable: your daily digest (1 new)"
    assert "Alan commented on “Dark mode”" in text_of(digest)
    assert "Linus" not in text_of(digest)


async def test_a_member_who_deleted_their_account_is_a_deleted_member_in_digests_emails_and_the_list(
    app, person, mailbox
):
    ada, linus, alan, grace = await person("ada"), await person("linus"), await person("alan"), await person("grace")
    assert (await ada.post("/settings/notifications", choices(comment="daily"))).status_code == 303
    idea = await alan.submit_idea("Dark mode")
    await ada.post(f"/ideas/{idea}/follow", {"follow": "1"})
    await linus.comment(idea, "Yes please")  # ada: in her digest; alan: at once
    await grace.comment(idea, "Me too")
    await linus.get("/settings/data")
    assert (await linus.post("/settings/data/delete", {"confirm_username": "linus"})).status_code == 200
    now = utcnow()
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly, now=now)
    await run_due_jobs(
        app.state.db, app.state.settings, app.state.assembly, now=next_digest_at(now, 7) + timedelta(minutes=1)
    )

    [digest] = mailbox.to("ada@example.org")
    assert "* A deleted member commented on “Dark mode”" in text_of(digest)
    assert "* Grace commented on “Dark mode”" in text_of(digest) and "Someone" not in text_of(digest)
    assert sorted(message["Subject"] for message in mailbox.to("alan@example.org")) == [
        "A deleted member commented on “Dark mode”",
        "Grace commented on “Dark mode”",
    ]
    page = HTMLParser((await alan.get("/notifications")).text)
    assert [item.text(strip=True) for item in page.css(".notification a[href^='/ideas/']")] == [
        "Grace commented on “Dark mode”",
        "A deleted member commented on “Dark mode”",
    ]


async def test_what_was_waiting_for_adas_digest_still_reaches_her_after_she_switches_to_at_once(app, person, mailbox):
    ada, linus, alan = await person("ada"), await person("linus"), await person("alan")
    assert (await ada.post("/settings/notifications", choices(comment="daily"))).status_code == 303
    idea = await ada.submit_idea("Dark mode")
    await linus.comment(idea, "Yes please")  # waits for her digest
    now = utcnow()
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly, now=now)
    assert mailbox.to("ada@example.org") == []

    assert (await ada.post("/settings/notifications", choices(comment="immediately"))).status_code == 303
    await alan.comment(idea, "Also for the editor")  # emailed at once
    later = utcnow()
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly, now=later)
    await run_due_jobs(
        app.state.db, app.state.settings, app.state.assembly, now=next_digest_at(later, 7) + timedelta(minutes=1)
    )

    received = mailbox.to("ada@example.org")
    assert sorted(message["Subject"] for message in received) == [
        "Alan commented on “Dark mode”",
        "Roundtable: your daily digest (1 new)",
    ]
    [digest] = [message for message in received if "digest" in message["Subject"]]
    assert "Linus commented on “Dark mode”" in text_of(digest) and "Alan" not in text_of(digest)
