"""The `roundtable repos` commands (cli_commands in contributors/domain.py)."""

import click

from portal.cli_helpers import load_settings, require_schema, run_with_database
from portal.db import Database


@click.group()
def repos() -> None:
    """Linked git repositories: list them, sync them now."""


@repos.command("sync")
@click.option("--repo", "repository_id", type=click.IntRange(1), default=None, help="Sync only this repository.")
def repos_sync(repository_id: int | None) -> None:
    """Fetch every linked repository (or one) and record what is new; one failure does not stop the others."""
    from contributors import queries, sync

    settings = load_settings()
    require_schema(settings)

    async def work(db: Database) -> int:
        ids = [repository_id] if repository_id else await queries.repository_ids(db)
        failures = 0
        for one in ids:
            result = await sync.sync_repository(db, settings, one)
            if result.ok:
                click.echo(
                    f"{one}\tok\t{result.new_commits} new commits, {result.links} links, "
                    f"{result.shipped} ideas shipped\t{result.seconds:.2f} s"
                )
            else:
                failures += 1
                click.echo(f"{one}\tfailed\t{result.error}")
        return failures

    if run_with_database(settings, work):
        raise SystemExit(1)


@repos.command("list")
def repos_list() -> None:
    """Every linked repository with the outcome of its last sync."""
    from contributors import queries

    settings = load_settings()
    require_schema(settings)

    async def work(db: Database) -> list:
        rows, after = [], None
        while True:
            page = await queries.list_repositories(db, after=after)
            rows += page.rows
            if (after := page.next_cursor) is None:
                return rows

    for row in run_with_database(settings, work):
        state = "never synced" if row["last_sync_ok"] is None else "ok" if row["last_sync_ok"] else "failed"
        click.echo(f"{row['id']}\t{row['kind']}\t{row['url']}\t{state}\t{row['commit_count']} commits")
