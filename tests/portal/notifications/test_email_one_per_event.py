"""One event, one notification (and one email) per person: of the reasons it concerns them
(mentioned, following the idea, the board or the thread, wrote it), the most specific wins."""

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from portal.jobs.runner import run_due_jobs
from tests.ideas.discussions.helpers import reply, start_thread
from tests.mailbox import emailing_settings


@pytest.fixture
def settings(database_url, tmp_path, mailbox):
    return emailing_settings(database_url, tmp_path, mailbox)


async def notifications_of(someone) -> list[str]:
    """What the member's notifications page lists, newest first."""
    page = HTMLParser((await someone.get("/notifications")).text)
    return [link.text(strip=True) for link in page.css(".notification-list .notification > a")]


async def subjects_to(app, mailbox, someone) -> list[str]:
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    return sorted(str(message["Subject"]) for message in mailbox.to(f"{someone.username}@example.org"))


async def test_a_response_that_mentions_followers_of_every_kind_tells_each_of_them_once(app, person, mailbox):
    ada, alan, bea, carl, dan = [await person(name) for name in ("ada", "alan", "bea", "carl", "dan")]
    grace = await person("grace", role="maintainer")
    idea = await ada.submit_idea("Dark mode")  # ada follows what she wrote
    await alan.post(f"/ideas/{idea}/follow", {"follow": "1"})
    await bea.post("/boards/general/follow", {"follow": "1"})
    await carl.post(f"/ideas/{idea}/follow", {"follow": "1"})
    await carl.post("/boards/general/follow", {"follow": "1"})
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)

    response = await grace.comment(idea, "Planned. @ada @bea and @dan, see the design; @ada again, and me @grace.")
    assert response.status_code == 303

    mentioned = "Grace mentioned you in a comment on “Dark mode”"
    responded = "Grace responded on “Dark mode”"
    for someone, told in ((ada, mentioned), (bea, mentioned), (dan, mentioned), (alan, responded), (carl, responded)):
        assert await notifications_of(someone) == [told], someone.username
        assert await subjects_to(app, mailbox, someone) == [told], someone.username
    assert await notifications_of(grace) == [] and await subjects_to(app, mailbox, grace) == []


async def test_a_comment_mentioning_the_idea_s_author_tells_her_of_the_mention_only(app, person, mailbox):
    ada, linus, alan = await person("ada"), await person("linus"), await person("alan")
    idea = await ada.submit_idea("Offline mode")
    await alan.post(f"/ideas/{idea}/follow", {"follow": "1"})
    assert (await linus.comment(idea, "What do you think, @ada?")).status_code == 303
    assert await notifications_of(ada) == ["Linus mentioned you in a comment on “Offline mode”"]
    assert await notifications_of(alan) == ["Linus commented on “Offline mode”"]
    assert await subjects_to(app, mailbox, ada) == ["Linus mentioned you in a comment on “Offline mode”"]


async def test_a_reply_mentioning_followers_of_the_thread_tells_each_of_them_once(app, person, mailbox):
    ada, linus, alan = await person("ada"), await person("linus"), await person("alan")
    grace = await person("grace")
    thread = await start_thread(ada, "Who knows the sync code?")  # ada follows her thread
    await reply(linus, thread, "Not me.")  # linus follows it by replying
    await alan.post(f"/discussions/{thread}/follow", {"follow": "1"})
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)

    await reply(grace, thread, "@ada, @linus wrote most of it. Ask him, @linus!")
    mentioned = "Grace mentioned you in a reply to “Who knows the sync code?”"
    assert (await notifications_of(ada))[0] == mentioned and len(await notifications_of(ada)) == 2  # and linus's
    assert await notifications_of(linus) == [mentioned]
    assert await notifications_of(alan) == ["Grace replied to “Who knows the sync code?”"]
    assert await subjects_to(app, mailbox, linus) == [mentioned]
    assert mailbox.to("ada@example.org")[-1]["Subject"] == mentioned and len(mailbox.to("ada@example.org")) == 2


async def test_a_new_idea_mentioning_a_follower_of_its_board_tells_her_of_the_mention_only(app, person, mailbox):
    ada, linus, alan = await person("ada"), await person("linus"), await person("alan")
    for someone in (ada, alan):
        await someone.post("/boards/general/follow", {"follow": "1"})
    await linus.submit_idea("Sync over Bluetooth", "From a chat with @ada.")
    assert await notifications_of(ada) == ["Linus mentioned you in the idea “Sync over Bluetooth”"]
    assert await notifications_of(alan) == ["Linus shared a new idea on General: “Sync over Bluetooth”"]
    assert await subjects_to(app, mailbox, ada) == ["Linus mentioned you in the idea “Sync over Bluetooth”"]
