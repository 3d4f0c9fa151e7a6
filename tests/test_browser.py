"""One journey in a real browser: sign up, submit an idea, vote, take the vote back, comment.

Runs Debian's Chromium through Playwright (never `playwright install`). Without
Chromium the test is skipped with the command that installs it, except when
ROUNDTABLE_REQUIRE_BROWSER=1 (as in .ci/run), where a missing browser fails.
"""

from pathlib import Path

import pytest

from tests.servers import running_portal


@pytest.fixture
def served_portal(database_url: str, tmp_path: Path):
    with running_portal(database_url, tmp_path) as base:
        yield base


def test_a_newcomer_signs_up_shares_an_idea_votes_unvotes_and_comments(page, served_portal):
    from playwright.sync_api import expect

    page.goto(served_portal + "/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill("hedy")
    page.get_by_label("Display name").fill("Hedy Lamarr")
    page.get_by_label("Email").fill("hedy@example.org")
    page.get_by_label("Password").fill("frequency hopping")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Welcome, Hedy Lamarr")).to_be_visible()  # the welcome page
    expect(page.get_by_role("link", name="code of conduct", exact=True)).to_have_attribute("href", "/code-of-conduct")

    page.get_by_role("link", name="Share an idea").first.click()
    page.get_by_role("button", name="Post idea").click()
    expect(page.locator("#title-error")).to_contain_text("Title is required")
    page.get_by_label("Title").fill("Spread-spectrum sync between devices")
    page.get_by_label("Description").fill("Keep devices in sync **without** a central server.")
    page.get_by_role("button", name="Post idea").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Spread-spectrum sync between devices")
    expect(page.locator(".prose strong")).to_have_text("without")

    vote = page.get_by_role("button", name="Vote for Spread-spectrum sync between devices")
    expect(vote).to_have_attribute("aria-pressed", "false")
    vote.click()  # sent by script, updated in place
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(vote.locator("[data-vote-count]")).to_have_text("1")
    expect(page.locator("[data-vote-status]")).to_have_text("Your vote is counted: 1 vote.")
    page.reload()
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(vote.locator("[data-vote-count]")).to_have_text("1")

    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "false")
    expect(vote.locator("[data-vote-count]")).to_have_text("0")
    page.reload()
    expect(vote.locator("[data-vote-count]")).to_have_text("0")

    page.get_by_label("Add a comment").fill("I can help with the radio part.")
    page.get_by_role("button", name="Comment").click()
    expect(page.locator(".comment")).to_contain_text("I can help with the radio part.")
    expect(page.get_by_role("heading", name="1 comment")).to_be_visible()

    page.goto(served_portal + "/")
    expect(page.locator(".idea-row")).to_contain_text("Spread-spectrum sync between devices")
    expect(page.locator(".idea-row")).to_contain_text("1 comment")


def test_every_page_passes_an_axe_accessibility_check(page, served_portal):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def violations(path: str) -> list:
        page.goto(served_portal + path)
        return [(v["id"], [n["target"] for n in v["nodes"]]) for v in axe.run(page).response["violations"]]

    for path in (
        "/",
        "/signin",
        "/signup",
        "/nowhere",
        "/boards",
        "/boards/general",
        "/?sort=trending",
        "/roadmap",
        "/changelog",
        "/api",
        "/people",
        "/welcome",
        "/discussions",
        "/discussions/c/q-and-a",
        "/code-of-conduct",
        "/moderation/log",
        "/repos",
        "/extensions",
        "/extensions?q=nothing",
        "/contributors",
        "/help/idea-references",
        "/password/forgot",
        "/password/reset/not-a-token",
        "/confirm-email/not-a-token",
    ):
        assert violations(path) == [], path
    page.goto(served_portal + "/signup")
    page.get_by_label("Username").fill("hedy")
    page.get_by_label("Email").fill("hedy@example.org")
    page.get_by_label("Password").fill("frequency hopping")
    page.get_by_role("button", name="Sign up").click()
    page.goto(served_portal + "/ideas/new")
    page.get_by_role("button", name="Post idea").click()  # with errors shown
    assert [v["id"] for v in axe.run(page).response["violations"]] == []
    page.get_by_label("Title").fill("An accessible idea")
    page.get_by_role("button", name="Post idea").click()
    idea_path = page.url.replace(served_portal, "")
    page.goto(served_portal + "/discussions/new")
    page.get_by_role("button", name="Post thread").click()  # with errors shown
    assert [v["id"] for v in axe.run(page).response["violations"]] == []
    page.get_by_label("Title").fill("An accessible question")
    page.get_by_label("Text").fill("How do I check contrast?")
    page.get_by_role("button", name="Post thread").click()
    thread_path = page.url.replace(served_portal, "")
    page.get_by_label("Your reply").fill("With axe.")
    page.get_by_role("button", name="Reply").click()
    for path in (
        "/",
        "/ideas/new",
        idea_path,
        thread_path,
        f"/moderation/flag?kind=idea&id={idea_path.rsplit('/', 1)[1]}",
        "/activity",
        "/people/hedy",
        "/settings/profile",
        "/settings/data",
        "/settings/accounts",
        "/welcome",
        "/search?q=accessible",
        "/settings/tokens",  # last: the steps below go on from it
    ):
        assert violations(path) == [], path
    page.get_by_label("Name").fill("my script")
    page.get_by_role("button", name="Create token").click()  # the new token, shown once
    assert page.get_by_role("textbox", name="Token").input_value().startswith("rt_")
    page.goto(served_portal + "/settings/profile")
    page.get_by_label("Display name").fill("")
    page.get_by_label("Links (optional)").fill("javascript:alert(1)")
    page.evaluate("document.querySelector('#display_name').removeAttribute('required')")
    page.get_by_role("button", name="Save your profile").click()  # with errors shown
    assert page.get_by_text("is not a web address").is_visible()
    assert [v["id"] for v in axe.run(page).response["violations"]] == []


@pytest.fixture
def grace_the_maintainer(database_url, tmp_path):
    """A maintainer made with the CLI (before the browser's own event loop starts)."""
    from click.testing import CliRunner

    from portal.cli import main

    env = {"DATA_DIR": str(tmp_path), "DATABASE_URL": database_url, "ARGON2_PROFILE": "CHEAPEST"}
    arguments = ["users", "create", "grace", "--email", "g@example.org", "--maintainer"]
    arguments += ["--password", "maintain it well"]
    created = CliRunner().invoke(main, arguments, env=env)
    assert created.exit_code == 0, created.output


def test_a_maintainers_pages_pass_the_axe_check_too(grace_the_maintainer, page, served_portal):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page.goto(served_portal + "/signin")
    page.get_by_label("Username or email").fill("grace")
    page.get_by_label("Password").fill("maintain it well")
    page.get_by_role("button", name="Sign in").click()
    page.goto(served_portal + "/ideas/new")
    page.get_by_label("Title").fill("Something to triage")
    page.get_by_role("button", name="Post idea").click()
    page.get_by_text("Change the status").click()
    page.get_by_role("button", name="Change status").click()  # no note: errors shown
    assert [v["id"] for v in axe.run(page).response["violations"]] == []
    for path in (
        "/boards",
        "/boards/new",
        "/boards/general/edit",
        "/notifications",
        "/settings/notifications",
        "/roadmap/draft",
        "/releases/new",
        "/moderation/queue",
        "/moderation/act?kind=idea&id=1",
        "/discussions/categories",
        "/discussions/categories/new",
    ):
        page.goto(served_portal + path)
        assert [v["id"] for v in axe.run(page).response["violations"]] == [], path


def test_similar_ideas_show_while_typing_a_title(page, served_portal):
    from playwright.sync_api import expect

    page.goto(served_portal + "/signup")
    page.get_by_label("Username").fill("marie")
    page.get_by_label("Email").fill("marie@example.org")
    page.get_by_label("Password").fill("radioactive decay")
    page.get_by_role("button", name="Sign up").click()
    page.goto(served_portal + "/ideas/new")
    page.get_by_label("Title").fill("Measure radioactivity in the lab")
    page.get_by_role("button", name="Post idea").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Measure radioactivity in the lab")

    page.goto(served_portal + "/ideas/new")
    page.get_by_label("Title").press_sequentially("radioactivity meas", delay=20)
    similar = page.locator("[data-similar-ideas]")
    expect(similar.get_by_role("link", name="Measure radioactivity in the lab")).to_be_visible()
