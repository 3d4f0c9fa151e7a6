"""`roundtable repos sync` and `roundtable repos list`, as an administrator runs them from cron."""

import asyncio
import shutil
from pathlib import Path

from click.testing import CliRunner

from contributors import queries
from portal.app import create_app
from portal.cli import main
from tests.apps import make_settings


def test_repos_sync_syncs_every_repository_and_reports_the_one_that_failed(database_url, tmp_path: Path, work_repo):
    settings = make_settings(database_url, tmp_path / "data", GIT_ALLOW_LOCAL_PATHS="true")
    good = work_repo("good")
    good.commit("One")
    good.commit("Two")
    gone = work_repo("gone")
    gone.commit("Soon deleted")

    async def link_both() -> None:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            for repo in (gone, good):
                await queries.create_repository(
                    app.state.db,
                    url=str(repo.path),
                    url_key=str(repo.path),
                    kind="contribution",
                    owner_id=None,
                    web_url=None,
                    web_kind=None,
                )

    asyncio.run(link_both())
    shutil.rmtree(gone.path)
    env = {
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": database_url,
        "GIT_ALLOW_LOCAL_PATHS": "true",
        "ARGON2_PROFILE": "CHEAPEST",
    }
    runner = CliRunner()
    result = runner.invoke(main, ["repos", "sync"], env=env)
    assert result.exit_code == 1, result.output
    assert "1\tfailed\tNo git repository was found" in result.output
    assert "2\tok\t2 new commits" in result.output

    listing = runner.invoke(main, ["repos", "list"], env=env)
    assert listing.exit_code == 0
    assert f"1\tcontribution\t{gone.path}\tfailed\t0 commits" in listing.output
    assert f"2\tcontribution\t{good.path}\tok\t2 commits" in listing.output

    good.commit("Three")
    again = runner.invoke(main, ["repos", "sync", "--repo", "2"], env=env)
    assert again.exit_code == 0 and "2\tok\t1 new commits" in again.output
