"""Sync of a 50,000-commit repository: first sync, re-sync after 10 new commits, and plain `git log`.

    .venv/bin/python bench/repo_sync.py [--commits 50000] [--database-url URL]

Builds the history with `git fast-import` in a temp folder, links it as a local path (the admin setting),
and times `contributors.sync.sync_repository` against `git log` with the same format over the same history.
"""

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contributors import queries as code  # noqa: E402
from contributors.sync import sync_repository  # noqa: E402
from ideas import board_queries  # noqa: E402
from ideas import queries as idea_queries  # noqa: E402
from portal import schema  # noqa: E402
from portal.accounts.queries import create_user  # noqa: E402
from portal.db import Database  # noqa: E402
from portal.settings import Settings  # noqa: E402
from tests.contributors.gitrepos import fast_import_history  # noqa: E402


def timed(work):
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


async def main(commits: int, database_url: str | None) -> None:
    folder = Path(tempfile.mkdtemp(prefix="repo-sync-bench-"))
    url = database_url or f"sqlite:///{folder / 'roundtable.db'}"
    settings = Settings.from_environ(
        {"DATA_DIR": str(folder / "data"), "DATABASE_URL": url, "GIT_ALLOW_LOCAL_PATHS": "true", "SECRET_KEY": "x"}
    )
    schema.upgrade(url)
    source = folder / "source.git"
    head, seconds = timed(lambda: fast_import_history(source, commits, tag_every=commits // 10))
    print(f"fast-import of {commits:,} commits: {seconds:.2f} s")
    # A host serves a repository it has packed well; fast-import's pack is not (git's fast-import manual).
    _, seconds = timed(lambda: subprocess.run(["git", "--git-dir", str(source), "repack", "-a", "-d", "-f", "-q"],
                                              check=True))  # fmt: skip
    print(f"repack of the source (not timed below): {seconds:.2f} s")
    _, plain_clone = timed(lambda: subprocess.run(["git", "clone", "--quiet", "--bare", "--no-local", str(source),
                                                   str(folder / "plain-clone.git")], check=True))  # fmt: skip
    log_format = "--format=%x1e%H%x1f%an%x1f%ae%x1f%at%x1f%B"
    _, git_log = timed(lambda: subprocess.run(["git", "--git-dir", str(source), "log", log_format, head], check=True,
                                              capture_output=True))  # fmt: skip
    db = Database(url)
    await db.connect()
    try:
        author = await create_user(db, username="bench", email="dev0@example.org", display_name="Bench",
                                   password_hash=None, email_verified=True)  # fmt: skip
        board = await board_queries.get_board_by_slug(db, "general")
        for n in range(50):
            await idea_queries.create_idea(db, board_id=board["id"], author_id=author, title=f"Idea {n}", body="",
                                           body_html="")  # fmt: skip
        repository_id = await code.create_repository(db, url=str(source), url_key=str(source), kind="product",
                                                     owner_id=author, web_url=None, web_kind=None)  # fmt: skip
        first = await sync_repository(db, settings, repository_id)
        assert first.ok, first.error
        fast_import_history(source, 10, start=commits, parent=head)
        again = await sync_repository(db, settings, repository_id)
        assert again.ok, again.error
        nothing = await sync_repository(db, settings, repository_id)
    finally:
        await db.disconnect()
    print(f"plain git clone --bare --no-local (no checks, no limits): {plain_clone:.2f} s")
    print(f"plain git log over {commits:,} commits: {git_log:.2f} s")
    print(f"first sync: {first.seconds:.2f} s ({first.new_commits:,} commits, {first.links:,} links)")
    print(f"re-sync after 10 new commits: {again.seconds:.2f} s ({again.new_commits} commits, {again.links} links)")
    print(f"re-sync with nothing new: {nothing.seconds:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=50_000)
    parser.add_argument("--database-url", default=None)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.commits, arguments.database_url))
