"""A password set through the emailed link ends every way into the account made before it:
each signed-in browser and each API token. The token page says so, and so does an email."""

import re

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from tests.api_client import api_client, create_token
from tests.mailbox import PUBLIC_URL, deliver, emailing_settings, text_of


@pytest.fixture
def settings(database_url, tmp_path, mailbox):
    """The portal of these tests emails the mailbox (tests/portal/conftest.py) and links to PUBLIC_URL."""
    return emailing_settings(database_url, tmp_path, mailbox, MAIL_FROM="Roundtable <ideas@example.net>")


async def test_a_password_reset_ends_every_session_and_api_token_and_says_so(app, person, visitor, mailbox):
    ada = await person("ada")  # signed in on her laptop, where she made tokens for her scripts
    release, backup = await create_token(ada, name="release script"), await create_token(ada, name="backup")
    revoked = await create_token(ada, name="old one")
    tokens_page = HTMLParser((await ada.get("/settings/tokens")).text)
    old_id = next(form.attributes["action"] for form in tokens_page.css("form") if "old one" in form.text(deep=True))
    assert (await ada.post(old_id)).status_code == 303
    async with api_client(app, release) as script:
        assert (await script.post("/api/v1/ideas", json={"title": "Before the reset"})).status_code == 201

    assert (await visitor.post("/password/forgot", {"login": "ada@example.org"})).status_code == 200
    await deliver(app)
    reset_email = mailbox.to("ada@example.org")[-1]
    link = re.search(rf"{PUBLIC_URL}(/password/reset/\S+)", text_of(reset_email)).group(1)
    await visitor.get(link)
    assert (await visitor.post(link, {"password": "lantern quartz fennel"})).status_code == 303

    for token in (release, backup, revoked):
        async with api_client(app, token) as script:
            refused = await script.post("/api/v1/ideas", json={"title": "After the reset"})
            assert refused.status_code == 401, token
    assert (await ada.get("/settings/tokens")).headers["location"].startswith("/signin")  # the laptop: signed out

    page = HTMLParser((await visitor.get("/settings/tokens")).text)  # the browser that reset it
    notice = page.css_first("#ended-by-reset").text(deep=True)
    assert "Your password was reset through an emailed link on" in notice and "ended every API token" in notice
    states = {
        row.css_first("td").text(): " ".join(row.css("td")[-1].text(deep=True).split())
        for row in page.css("table.tokens tbody tr")
    }
    assert re.fullmatch(r"ended \d{4}-\d\d-\d\d \d\d:\d\d UTC by the password reset", states["release script"])
    assert states["backup"] == states["release script"]
    assert states["old one"].startswith("revoked ")  # revoked by ada before, and said so

    await deliver(app)
    notice_email = mailbox.to("ada@example.org")[-1]
    assert notice_email["Subject"] == "Your password on Roundtable was changed"
    text = " ".join(text_of(notice_email).split())
    assert "changed through the link we emailed you" in text
    assert "1 browser signed in before was signed out." in text
    assert "2 API tokens ended with the old password" in text and f"{PUBLIC_URL}/settings/tokens" in text
