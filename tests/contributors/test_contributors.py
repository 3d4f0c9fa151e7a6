"""The contributors ranking and the profile section's data: commits matched to members by their emails."""

from datetime import UTC, datetime, timedelta

from contributors import queries
from portal.accounts.queries import link_oauth
from portal.app import DOMAINS
from portal.domains import Assembly
from portal.jobs.runner import run_due_jobs
from tests.contributors.helpers import link
from tests.pages import links, parsed, shown, texts

ASSEMBLY = Assembly.of(DOMAINS)  # the jobs of the whole app


async def test_contributors_are_ranked_by_ideas_shipped_then_linked_commits_whatever_their_role(
    app, person, visitor, work_repo
):
    grace = await person("grace", role="admin", founder=True)
    ada = await person("ada")
    db = app.state.db
    # Grace commits with the address GitHub gave her, which her account knows through signing in with GitHub.
    await link_oauth(db, provider="github", subject="1001", user_id=grace.id, email="grace@users.noreply.github.com")
    dark = await ada.submit_idea("Dark mode")
    export = await ada.submit_idea("CSV export")
    now = datetime.now(UTC)
    product = work_repo("product")
    product.commit(f"Dark mode, idea #{dark}", date=now - timedelta(days=5))
    product.commit(f"Dark mode polish\n\nImplements: idea-{dark}", date=now - timedelta(days=4))
    product.commit(f"Export, idea #{export}", date=now - timedelta(days=3))
    product.commit(
        f"Dark mode docs, idea #{dark}",
        email="grace@users.noreply.github.com",
        name="Grace",
        date=now - timedelta(days=2),
    )
    product.commit(
        f"Old work on idea #{export}", email="GRACE@example.org", name="Grace", date=now - timedelta(days=200)
    )
    product.commit(f"Drive-by, idea #{dark}", email="eve@example.org", name="Eve", date=now - timedelta(days=1))
    repository_id = await link(grace, str(product.path), "product")
    await run_due_jobs(db, app.state.settings, ASSEMBLY)
    await grace.post(f"/ideas/{dark}/status", {"status": "shipped", "note": "Out in 2.0"})

    recent = parsed(await visitor.get("/contributors?period=30d"))
    rows = [texts(row, "td") for row in recent.css("table.ranking tbody tr")]  # #, member, shipped, commits, ideas
    assert len(rows) == 2  # Eve's address belongs to no member
    assert "Ada" in rows[0][1] and rows[0][2:] == ["1", "3", "2"]
    assert "Grace" in rows[1][1] and "founder" in rows[1][1] and rows[1][2:] == ["1", "1", "1"]

    all_time = parsed(await visitor.get("/contributors?period=all"))
    grace_row = [texts(row, "td") for row in all_time.css("table.ranking tbody tr")][1]
    assert grace_row[2:] == ["1", "2", "2"]
    assert texts(all_time, '[aria-current="page"]') == ["all time"]
    assert (await visitor.get("/contributors?period=nonsense")).status_code == 200

    mine = await queries.member_contributions(db, grace.id)
    assert [row["id"] for row in mine["repositories"]] == [repository_id]
    assert [row["subject"] for row in mine["commits"]] == ["Dark mode docs, idea #1", "Old work on idea #2"]
    assert [row["title"] for row in mine["shipped"]] == ["Dark mode"]
    ada_part = await queries.member_contributions(db, ada.id)
    assert len(ada_part["commits"]) == 3 and ada_part["repositories"] == []
    section = parsed(await visitor.get("/people/grace"))
    assert "Code contributions" in shown(section)
    assert f"/repos/{repository_id}" in links(section) and "Dark mode docs" in shown(section)
    assert "Ideas they helped ship" in shown(section) and f"/ideas/{dark}" in links(section)


async def test_nobody_is_ranked_before_any_commit_is_linked(visitor):
    assert "No commit linked to an idea over 90 days." in shown(await visitor.get("/contributors"))


async def test_the_api_lists_linked_repositories_and_an_idea_s_commits_without_secrets(app, person, work_repo):
    from tests.api_client import api_client

    grace = await person("grace", role="admin")  # admins may link local paths (tests only)
    dark = await grace.submit_idea("Dark mode")
    product = work_repo("product")
    product.commit(f"Dark mode\n\nImplements: idea-{dark}", email="dev@example.org", name="Dev")
    repository_id = await link(grace, str(product.path), "product")
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)

    async with api_client(app) as script:
        listed = (await script.get("/api/v1/repositories")).json()
        one = await script.get(f"/api/v1/repositories/{repository_id}")
        commits = (await script.get(f"/api/v1/ideas/{dark}/commits")).json()["commits"]
        missing = await script.get("/api/v1/repositories/999999")
        no_idea = await script.get("/api/v1/ideas/999999/commits")

    assert [row["id"] for row in listed["repositories"]] == [repository_id] and listed["next_cursor"] is None
    assert one.json()["kind"] == "product" and one.json()["last_sync_ok"] is True
    assert "webhook" not in one.text and "dev@example.org" not in str(commits)
    assert [(row["subject"], row["implements"], row["author_name"]) for row in commits] == [("Dark mode", True, "Dev")]
    assert missing.status_code == 404 and no_idea.status_code == 404


async def test_linked_commits_count_in_the_people_directory_once_each_until_the_repository_is_unlinked(
    app, person, work_repo
):
    import sqlalchemy as sa

    from portal.people.tables import profiles

    grace = await person("grace", role="admin")
    ada = await person("ada")
    dark = await ada.submit_idea("Dark mode")
    export = await ada.submit_idea("CSV export")
    product = work_repo("product")
    product.commit(f"Dark mode, idea #{dark} and idea #{export}", email="ADA@example.org", name="Ada")
    product.commit("Unrelated cleanup", email="ada@example.org", name="Ada")
    repository_id = await link(grace, str(product.path), "product")
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)

    async def linked_commits() -> int:
        return await app.state.db.fetch_val(sa.select(profiles.c.linked_commits).where(profiles.c.user_id == ada.id))

    assert await linked_commits() == 1  # one commit, linked to two ideas, counts once
    product.commit(f"More on idea #{dark}", email="ada@example.org", name="Ada")
    await grace.post(f"/repos/{repository_id}/sync")
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    assert await linked_commits() == 2
    assert (await grace.post(f"/repos/{repository_id}/unlink")).status_code == 303
    assert await linked_commits() == 0
