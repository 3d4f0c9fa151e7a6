"""The extensions directory: metadata read from the repository, good and bad, README, activity."""

from datetime import UTC, datetime, timedelta

from portal.jobs.runner import run_due_jobs
from tests.contributors.helpers import link
from tests.pages import has, links, one, parsed, shown, texts

GOOD = """
name = "Slack notifier"
summary = "Posts new ideas to a Slack channel."
license = "MIT"
keywords = ["slack", "chat"]
works_with = ">=1.0, <2"
implements = [{idea}, "idea-{other}", 999999]
"""

README = """# Slack notifier

Posts **new ideas** to Slack. [Docs](https://example.org/docs) [bad](javascript:alert(1))

<script>alert("owned")</script>
"""


async def test_a_good_extension_is_listed_searchable_and_shown_with_its_readme_and_activity(
    app, person, visitor, work_repo
):
    ada = await person("ada")
    idea_id = await ada.submit_idea("Chat notifications")
    other_id = await ada.submit_idea("Notify a channel")
    plugin = work_repo("slack")
    now = datetime.now(UTC)
    plugin.commit("Start", files={"README.md": README}, date=now - timedelta(days=100))
    plugin.commit(
        "Metadata",
        files={"roundtable-extension.toml": GOOD.format(idea=idea_id, other=other_id)},
        date=now - timedelta(days=3),
    )
    plugin.commit("Fix a typo", name="Bob", email="bob@example.org", date=now - timedelta(days=1))
    plugin.tag("v0.3.0", date=datetime(2026, 3, 4, tzinfo=UTC))
    grace = await person("grace", role="admin")
    extension_id = await link(grace, str(plugin.path), "extension")
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)

    listing = (await visitor.get("/extensions")).text
    assert "Slack notifier" in shown(listing) and "Posts new ideas to a Slack channel." in shown(listing)
    assert "Slack notifier" in shown(await visitor.get("/extensions?q=chat"))
    assert "Slack notifier" not in shown(await visitor.get("/extensions?q=discord"))
    assert "No extension matches" in shown(await visitor.get("/extensions?q=discord"))

    page = parsed(await visitor.get(f"/extensions/{extension_id}"))
    readme = one(page, ".readme")
    assert "new ideas" in texts(readme, "strong") and "https://example.org/docs" in links(readme)
    assert not has(readme, "script") and not [href for href in links(page) if href.startswith("javascript:")]
    assert "MIT" in shown(page) and "Roundtable >=1.0, <2" in shown(page) and "slack, chat" in shown(page)
    assert "v0.3.0" in shown(page) and "2026-03-04" in shown(page)
    assert "Ada Lovelace (2)" in shown(page) and "Bob (1)" in shown(page)
    assert one(page, "svg.sparkline").attributes["role"] == "img"
    assert texts(page, "svg.sparkline title#activity-title") == ["3 commits in the last 52 weeks"]
    assert "Chat notifications" in shown(page) and "Notify a channel" in shown(page)
    assert "needs attention" not in shown(page)

    idea_page = parsed(await visitor.get(f"/ideas/{idea_id}"))
    assert "Extensions that implement it" in shown(idea_page) and f"/extensions/{extension_id}" in links(idea_page)


async def test_missing_or_broken_metadata_gets_a_clear_warning(app, person, visitor, work_repo):
    grace = await person("grace", role="admin")
    missing = work_repo("missing")
    missing.commit("No metadata", files={"README": "Plain text <b>README</b>"})
    broken = work_repo("broken")
    broken.commit("Broken TOML", files={"roundtable-extension.toml": 'name = "Oops\nsummary = 3\n'})
    odd = work_repo("odd")
    odd.commit(
        "Wrong types",
        files={
            "roundtable-extension.toml": 'name = "Odd one"\nsummary = 7\nkeywords = "a, b"\nimplements = ["x"]\n'
            'colour = "blue"\n'
        },
    )
    ids = [await link(grace, str(repo.path), "extension") for repo in (missing, broken, odd)]
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)

    first = (await visitor.get(f"/extensions/{ids[0]}")).text
    assert "There is no roundtable-extension.toml at the root of the default branch" in shown(first)
    assert texts(first, "pre")[-1].endswith("Plain text <b>README</b>")  # shown as text, not markup
    second = (await visitor.get(f"/extensions/{ids[1]}")).text
    assert "roundtable-extension.toml is not valid TOML" in shown(second)
    third = (await visitor.get(f"/extensions/{ids[2]}")).text
    assert texts(third, "h1") == ["Odd one"]
    assert "`summary` in roundtable-extension.toml must be a non-empty string." in shown(third)
    assert "`keywords` in roundtable-extension.toml must be a list of strings." in shown(third)
    assert "which is not an idea number" in shown(third) and "colour" in shown(third)
    listing = shown(await visitor.get("/extensions"))
    assert listing.count("metadata needs attention") == 3


async def test_a_repository_that_is_not_an_extension_has_no_extension_page(app, person, visitor, work_repo):
    grace = await person("grace", role="admin")
    repo = work_repo("plain")
    repo.commit("One")
    repository_id = await link(grace, str(repo.path), "contribution")
    assert (await visitor.get(f"/extensions/{repository_id}")).status_code == 404
    assert (await visitor.get("/extensions/999")).status_code == 404
