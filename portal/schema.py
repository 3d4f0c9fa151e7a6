"""Creating and upgrading the schema with Alembic, and checking it at start-up."""

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from portal.db import Database

UPGRADE_COMMAND = "roundtable db upgrade"


class SchemaOutOfDate(Exception):
    """The database schema is not the one this code was written for."""


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", sync_url(database_url))
    return config


def sync_url(database_url: str) -> str:
    """The URL of a synchronous driver for Alembic: stdlib sqlite3, or psycopg."""
    if database_url.startswith("postgresql://"):
        return "postgresql+psycopg://" + database_url[len("postgresql://") :]
    return database_url


def upgrade(database_url: str, revision: str = "heads") -> None:
    if database_url.startswith("sqlite:///"):
        Path(database_url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), revision)


def head_revisions(database_url: str) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())


async def current_revisions(db: Database) -> set[str]:
    version_table = sa.table("alembic_version", sa.column("version_num"))
    try:
        rows = await db.fetch_all(sa.select(version_table.c.version_num))
    except Exception:  # noqa: BLE001 - no version table yet: an empty database
        return set()
    return {row["version_num"] for row in rows}


async def check_schema(db: Database) -> None:
    current = await current_revisions(db)
    expected = head_revisions(db.url)
    if current != expected:
        state = "has no schema yet" if not current else f"is at revision {', '.join(sorted(current))}"
        raise SchemaOutOfDate(
            f"The database {state}; this version of Roundtable needs "
            f"{', '.join(sorted(expected))}. Run `{UPGRADE_COMMAND}` "
            "(or start with `roundtable serve --upgrade`)."
        )
