"""What every `roundtable` command needs, the domains' commands too (contributors/cli.py): the
settings, a database for the length of one piece of work, and a schema that is up to date."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from portal import schema
from portal.db import Database
from portal.settings import Settings, SettingsError

T = TypeVar("T")


def load_settings() -> Settings:
    try:
        return Settings.from_environ()
    except SettingsError as error:
        raise click.ClickException(f"Setting {error}") from None


def run_with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    async def main() -> T:
        db = Database(settings.database_url, pool_size=2, busy_timeout_ms=settings.sqlite_busy_timeout)
        await db.connect()
        try:
            return await work(db)
        finally:
            await db.disconnect()

    try:
        return asyncio.run(main())
    except (OSError, ConnectionError) as error:
        raise click.ClickException(f"Cannot reach the database: {error}") from None


def require_schema(settings: Settings) -> None:
    try:
        run_with_database(settings, schema.check_schema)
    except schema.SchemaOutOfDate as error:
        raise click.ClickException(str(error)) from None
