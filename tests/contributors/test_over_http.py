"""Repositories fetched over HTTP from a real `git http-backend` on loopback."""

import dataclasses
from pathlib import Path

import pytest
import sqlalchemy as sa

from contributors.sync import check_remote, sync_repository
from contributors.tables import repositories
from portal.jobs.runner import run_due_jobs
from tests import processes
from tests.apps import make_settings
from tests.contributors.githttp import serving_git
from tests.contributors.helpers import link
from tests.pages import shown


@pytest.fixture
def settings(database_url: str, tmp_path: Path):
    """A self-hosted portal whose admin allowed http and loopback, as tests need."""
    return make_settings(database_url, tmp_path / "data", GIT_ALLOWED_SCHEMES="https,http", ALLOW_PRIVATE_URLS="true")


@pytest.fixture
def served(tmp_path: Path, work_repo):
    """Ada's repository published as a bare repository behind git http-backend."""
    work = work_repo("plugin")
    root = tmp_path / "served"
    root.mkdir()

    def publish() -> None:
        processes.run(
            ["git", "push", "--quiet", "--mirror", str(root / "plugin.git")], cwd=work.path, check=True, timeout=120
        )

    processes.run(["git", "init", "--quiet", "--bare", str(root / "plugin.git")], check=True, timeout=120)
    with serving_git(root) as base:
        yield work, publish, base


async def test_a_member_links_a_repository_served_over_http_and_it_syncs(app, person, visitor, served):
    work, publish, base = served
    ada = await person("ada")
    idea_id = await ada.submit_idea("Slack notifications")
    work.commit(f"Notify Slack\n\nImplements: idea-{idea_id}")
    publish()
    repository_id = await link(ada, f"{base}/plugin.git")
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    assert "Synced" in shown(await visitor.get(f"/repos/{repository_id}"))
    assert "Notify Slack" in shown(await visitor.get(f"/ideas/{idea_id}"))

    work.commit(f"Retry on failure (idea #{idea_id})")
    publish()
    await ada.post(f"/repos/{repository_id}/sync")
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    assert "Retry on failure" in shown(await visitor.get(f"/ideas/{idea_id}"))


async def test_a_redirect_is_not_followed(app, person, visitor, served):
    work, publish, base = served
    work.commit("Anything")
    publish()
    ada = await person("ada")
    repository_id = await link(ada, f"{base}/moved/plugin.git")
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    page = (await visitor.get(f"/repos/{repository_id}")).text
    assert "redirect" in shown(page) and "Synced" not in shown(page)


async def test_the_address_is_checked_again_at_every_fetch(app, person, visitor, served):
    work, publish, base = served
    work.commit("Anything")
    publish()
    ada = await person("ada")
    repository_id = await link(ada, f"{base}/plugin.git")
    stricter = dataclasses.replace(app.state.settings, allow_private_urls=False)
    result = await sync_repository(app.state.db, stricter, repository_id)
    assert not result.ok and "internal address (127.0.0.1)" in result.error
    row = await app.state.db.fetch_one(sa.select(repositories).where(repositories.c.id == repository_id))
    assert row["last_sync_ok"] is False and row["commit_count"] == 0
    assert not (stricter.data_dir / "repos" / f"{repository_id}.git").exists()


async def test_loopback_is_refused_at_link_time_unless_the_admin_allowed_it(app, person, served):
    _work, _publish, base = served
    ada = await person("ada")
    strict = dataclasses.replace(app.state.settings, allow_private_urls=False)
    app.state.settings = strict
    response = await ada.post("/repos/new", {"url": f"{base}/plugin.git", "kind": "contribution"})
    assert response.status_code == 400 and "internal address" in shown(response)


async def test_git_connects_only_to_the_addresses_that_were_checked(app, served):
    _work, _publish, base = served
    port = base.rsplit(":", 1)[1]
    remote = await check_remote(f"http://localhost:{port}/plugin.git", app.state.settings, may_use_local=False)
    assert remote.protocols == ("http",)
    assert remote.pins and remote.pins[0].startswith(f"localhost:{port}:")
    assert "127.0.0.1" in remote.pins[0] or "[::1]" in remote.pins[0]


async def test_a_fetch_that_takes_too_long_is_stopped_and_leaves_nothing(app, person, visitor, served):
    _work, _publish, base = served
    ada = await person("ada")
    repository_id = await link(ada, f"{base}/slow/plugin.git")
    impatient = dataclasses.replace(app.state.settings, git_timeout=1)
    result = await sync_repository(app.state.db, impatient, repository_id)
    assert not result.ok and "took longer than 1 seconds and was stopped" in result.error
    assert result.seconds < 3.5
    assert not (impatient.data_dir / "repos").exists() or list((impatient.data_dir / "repos").iterdir()) == []
