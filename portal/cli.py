"""The `roundtable` command: serve, db, users, demo, jobs, export and import, and the commands
the domains add (their Domain's `cli_commands`: contributors' `repos`)."""

import contextlib
import gc
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import click
import uvicorn
from starlette.applications import Starlette

from portal import schema, secret_links
from portal.accounts import queries as account_queries
from portal.accounts.forms import parse_signup
from portal.accounts.passwords import hash_password, password_hasher
from portal.accounts.tables import ROLES
from portal.app import DOMAINS
from portal.cli_helpers import load_settings, require_schema, run_with_database
from portal.db import Database
from portal.domains import Assembly, using
from portal.settings import Settings


@click.group()
@click.pass_context
def main(context: click.Context) -> None:
    """Roundtable: an open-source product community and idea-voting portal."""
    # What the domains registered (hidden checks, post sources) applies to every command as it
    # does to requests and jobs: a notification made by `repos sync` is hidden with its idea.
    context.with_resource(using(Assembly.of(DOMAINS)))


@main.command()
@click.option("--host", default=None, help="Address to listen on (setting HOST).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port to listen on (setting PORT).")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Worker processes (setting WORKERS).")
@click.option("--upgrade", is_flag=True, help="Create or upgrade the database schema before serving.")
@click.option("--demo", is_flag=True, help="Load demo members, ideas, votes and comments if not loaded yet.")
def serve(host: str | None, port: int | None, workers: int | None, upgrade: bool, demo: bool) -> None:
    """Serve the portal."""
    settings = load_settings()
    host = host or settings.host
    port = port or settings.port
    workers = workers or settings.workers
    if upgrade:
        schema.upgrade(settings.database_url)
    require_schema(settings)
    if demo:
        _load_demo(settings)
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(f"Roundtable is running at http://{shown_host}:{port}/  (Ctrl+C stops it)")
    if workers > 1:
        from portal.serving import serve_workers  # gunicorn: only several workers need a supervisor

        serve_workers(
            served_app,
            bind=f"{shown_host}:{port}",
            workers=workers,
            loop=event_loop(settings.database_url),
            forwarded_allow_ips=settings.forwarded_allow_ips,
            log_level=settings.log_level,
        )
        return
    uvicorn.run(
        "portal.cli:served_app",
        factory=True,
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_level=settings.log_level,
        log_config=secret_links.uvicorn_log_config(uvicorn.config.LOGGING_CONFIG, settings.log_level),
        loop=event_loop(settings.database_url),
    )


def served_app() -> Starlette:
    """The app as `serve` runs it in each worker process: once it has started, the objects made
    so far (modules, tables, compiled templates and statements: about 120,000, nearly all that
    the process will ever hold) leave the garbage collector's generations for good.

    Each full collection had walked them all: 35 ms idle and 50-65 ms under load, during which
    the worker answers nothing, four or five times in ten seconds of searches under wrk -c50 at M
    on PostgreSQL (the p99 of every page). After gc.freeze() a full collection takes well under
    a millisecond. Only the worker processes do it: the tests make hundreds of apps in one process.
    """
    from portal.app import create_app  # the other commands do without the app

    app = create_app()
    started = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with started(app):
            gc.collect()
            gc.freeze()
            yield

    app.router.lifespan_context = lifespan
    return app


def event_loop(database_url: str) -> str:
    """uvicorn's event loop for this database: asyncio's own for SQLite, uvloop (if installed) otherwise.

    On SQLite a page's reads run inside the event loop, so a request holds it for a few
    milliseconds without a break. uvloop then serves some connections long after others: under
    wrk -c50, search at M answered in 114 ms at the median but 1.32 s at p99, 311 requests/s
    (asyncio's loop: 153 ms and 398 ms, 290 requests/s); a bare app that holds the loop 4 ms per
    request shows the same (p99 1.31 s against 215 ms, 238 and 234 requests/s). On PostgreSQL
    every read awaits the network and uvloop is the faster of the two.
    """
    return "asyncio" if database_url.startswith("sqlite") else "auto"


@main.command()
def demo() -> None:
    """Load demo members, ideas, votes and comments."""
    settings = load_settings()
    require_schema(settings)
    _load_demo(settings)


def _load_demo(settings: Settings) -> None:
    from portal.demo import DEMO_PASSWORD, PEOPLE, DemoExists, load_demo

    try:
        run_with_database(settings, lambda db: load_demo(db, settings.argon2_profile))
    except DemoExists as error:
        click.echo(str(error))
        return
    names = ", ".join(username for username, *_ in PEOPLE)
    click.echo(f"Demo data loaded. Sign in as {names} with the password {DEMO_PASSWORD!r}.")


@main.group()
def db() -> None:
    """Manage the database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create the schema or upgrade it to this version of Roundtable."""
    settings = load_settings()
    schema.upgrade(settings.database_url)
    click.echo("The database schema is up to date.")


@db.command("check")
def db_check() -> None:
    """Exit with an error when the schema needs an upgrade."""
    require_schema(load_settings())
    click.echo("The database schema is up to date.")


@main.group()
def users() -> None:
    """Manage members."""


@users.command("create")
@click.argument("username")
@click.option("--email", required=True, help="The member's email address.")
@click.option("--display-name", default="", help="Name shown on posts (default: the username).")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Asked for when not given; prefer the prompt, so it stays out of the shell history.",
)
@click.option("--admin", "role", flag_value="admin", help="Make the member an admin.")
@click.option("--maintainer", "role", flag_value="maintainer", help="Make the member a maintainer.")
@click.option("--founder", is_flag=True, help="Show the founder badge (it grants nothing else).")
def users_create(username: str, email: str, display_name: str, password: str, role: str | None, founder: bool) -> None:
    """Create a member; `--admin` for the first admin."""
    settings = load_settings()
    require_schema(settings)
    form = parse_signup({"username": username, "email": email, "display_name": display_name, "password": password})
    if not form.is_valid:
        raise click.ClickException(" ".join(f"{name}: {message}" for name, message in form.errors.items()))

    async def create(db: Database) -> int:
        password_hash = await hash_password(password_hasher(settings.argon2_profile), form.data["password"])
        return await account_queries.create_user(
            db,
            username=form.data["username"],
            email=form.data["email"],
            display_name=form.data["display_name"],
            password_hash=password_hash,
            email_verified=True,  # the operator vouches for it
            role=role or "member",
            is_founder=founder,
        )

    try:
        run_with_database(settings, create)
    except account_queries.UsernameTaken:
        raise click.ClickException(f"The username {form.data['username']!r} is taken.") from None
    except account_queries.EmailTaken:
        raise click.ClickException(f"An account with the email {form.data['email']!r} exists already.") from None
    click.echo(f"Created {role or 'member'} {form.data['username']}{' (founder)' if founder else ''}.")


@users.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@click.option("--founder/--not-founder", default=None, help="Show or remove the founder badge.")
def users_set_role(username: str, role: str, founder: bool | None) -> None:
    """Change a member's role (member, maintainer, admin)."""
    settings = load_settings()
    require_schema(settings)

    async def change(db: Database) -> bool:
        user = await account_queries.get_user_by_username(db, username.strip().lower())
        if user is None:
            return False
        await account_queries.set_role(db, user["id"], role=role, is_founder=founder)
        return True

    if not run_with_database(settings, change):
        raise click.ClickException(f"There is no member called {username!r}.")
    click.echo(f"{username} is now {role}.")


@main.group()
def jobs() -> None:
    """Work done after responses: emails, webhook deliveries, repository syncs."""


@jobs.command("run")
def jobs_run() -> None:
    """Run every job that is due now, then exit (for cron, or when JOBS_INTERVAL is 0)."""
    from portal.jobs.runner import run_due_jobs

    settings = load_settings()
    require_schema(settings)
    report = run_with_database(settings, lambda db: run_due_jobs(db, settings, Assembly.of(DOMAINS)))
    click.echo(f"{report.done} done, {report.retried} to retry later, {report.failed} failed.")


@jobs.command("list")
@click.option("--failed", is_flag=True, help="Only the jobs that failed for good.")
def jobs_list(failed: bool) -> None:
    """The 100 most recent jobs, newest first."""
    from portal.jobs.queries import list_jobs

    settings = load_settings()
    require_schema(settings)
    rows = run_with_database(settings, lambda db: list_jobs(db, failed_only=failed))
    for row in rows:
        state = "failed" if row["failed"] else "done" if row["finished_at"] else f"due {row['run_at']:%Y-%m-%d %H:%M}"
        error = f"  {row['last_error']}" if row["last_error"] else ""
        click.echo(f"{row['id']}\t{row['kind']}\t{state}\tattempts {row['attempts']}{error}")


@main.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def export_command(path: Path) -> None:
    """Write the whole instance to a JSON archive (PATH; - for standard output)."""
    from portal.transfer.archive import ArchiveError, export_archive

    settings = load_settings()
    require_schema(settings)
    try:
        document = run_with_database(settings, export_archive)
    except ArchiveError as error:
        raise click.ClickException(str(error)) from None
    text = json.dumps(document, ensure_ascii=False)
    if str(path) == "-":
        click.echo(text)
        return
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    rows = sum(len(table["rows"]) for table in document["tables"].values())
    click.echo(f"Exported {rows} rows from {len(document['tables'])} tables to {path}.")


@main.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path) -> None:
    """Load a JSON archive made by `roundtable export` into this empty instance."""
    from portal.transfer.archive import ArchiveError, import_archive

    settings = load_settings()
    require_schema(settings)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise click.ClickException(f"{path} is not UTF-8 text, so not an archive.") from None
    except json.JSONDecodeError as error:
        raise click.ClickException(f"{path} is not valid JSON (line {error.lineno}, column {error.colno}).") from None
    try:
        after_import = Assembly.of(DOMAINS).after_import
        counts = run_with_database(settings, lambda db: import_archive(db, document, after_import))
    except ArchiveError as error:
        raise click.ClickException(f"Nothing was imported. {error}") from None
    click.echo(f"Imported {sum(counts.values())} rows into {len(counts)} tables; the search index was rebuilt.")


for command in Assembly.of(DOMAINS).cli_commands:
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
