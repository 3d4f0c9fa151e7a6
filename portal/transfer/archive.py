"""The whole instance as one JSON archive, and that archive back into an empty instance.

Every table of portal.db.metadata travels (so tables added later travel too), except what
must not travel or is rebuilt: sign-in sessions, jobs in flight, the search index (rebuilt on
import by the domains: their Domain's `after_import`) and cached figures. Values are written by column type so
that they read back the same on SQLite and PostgreSQL: timestamps as ISO 8601 with their UTC
offset, dates as ISO dates, booleans as true/false, JSON as JSON, binary as base64. The emails of
the outbox travel with their secret links masked (portal/secret_links.py): whoever holds the
archive must not be able to choose a member's password.
"""

import base64
import binascii
import math
import sqlite3
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import asyncpg
import sqlalchemy as sa

from portal import schema, secret_links
from portal.db import Database, UTCDateTime, metadata, utcnow
from portal.domains import Rebuild

FORMAT = "roundtable-archive"
VERSION = 1
LEFT_OUT = ("sessions", "jobs", "search_documents", "computed_figures")
# A fresh schema holds these rows already (the default board, the default discussion categories);
# an import replaces them.
SEEDED = ("boards", "discussion_categories")
_CHUNK_VALUES = 5000
# Columns exported through a function rather than as stored: (table, column) -> function.
_MASKED = {("outbox", "message"): secret_links.mask_message}  # a NOT NULL column


class ArchiveError(Exception):
    """An archive that cannot be imported, or an instance that cannot take it; the message says why."""


def archived_tables() -> list[sa.Table]:
    return [table for table in metadata.sorted_tables if table.name not in LEFT_OUT]


def _kind(column: sa.Column) -> str:
    kind = column.type
    for python_type, name in (
        (UTCDateTime, "datetime"),
        (sa.DateTime, "datetime"),
        (sa.Date, "date"),
        (sa.JSON, "json"),
        (sa.Boolean, "boolean"),
        (sa.LargeBinary, "binary"),
        (sa.Float, "float"),
        (sa.Integer, "integer"),
        (sa.String, "text"),
    ):
        if isinstance(kind, python_type):
            return name
    raise ArchiveError(f"The column {column.table.name}.{column.name} has a type the archive cannot carry: {kind}.")


def _encode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind in ("datetime", "date"):
        return value.isoformat()
    if kind == "binary":
        return base64.b64encode(bytes(value)).decode()
    if kind == "boolean":
        return bool(value)
    return value


async def export_archive(db: Database) -> dict[str, Any]:
    tables: dict[str, Any] = {}
    for table in archived_tables():
        columns = list(table.columns)
        kinds = [_kind(column) for column in columns]
        order = list(table.primary_key.columns) or columns
        masks = [_MASKED.get((table.name, column.name)) for column in columns]
        rows = await db.fetch_all(sa.select(table).order_by(*order))
        tables[table.name] = {
            "columns": [column.name for column in columns],
            "rows": [
                [
                    _encode(kind, row[column.name] if masked is None else masked(row[column.name]))
                    for column, kind, masked in zip(columns, kinds, masks, strict=True)
                ]
                for row in rows
            ],
        }
    return {
        "format": FORMAT,
        "version": VERSION,
        "schema_revision": ",".join(sorted(await schema.current_revisions(db))),
        "exported_at": utcnow().isoformat(),
        "left_out": list(LEFT_OUT),
        "tables": tables,
    }


def _decode(column: sa.Column, kind: str, value: Any) -> Any:
    """The value for the database, or ValueError saying what is wrong with it."""
    if value is None:
        if not column.nullable:
            raise ValueError("is empty but may not be")
        return None
    if kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"should be a whole number, not {value!r}")
    elif kind == "float":
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            raise ValueError(f"should be a number, not {value!r}")
        return float(value)
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError(f"should be true or false, not {value!r}")
    elif kind == "text":
        if not isinstance(value, str):
            raise ValueError(f"should be text, not {value!r}")
        if column.type.length is not None and len(value) > column.type.length:
            raise ValueError(f"is longer than {column.type.length} characters")
    elif kind == "datetime":
        try:
            moment = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise ValueError(f"should be a date and time like 2026-11-22T05:45:00+00:00, not {value!r}") from None
        if moment.tzinfo is None:
            raise ValueError(f"should say its UTC offset (+00:00): {value!r}")
        return moment
    elif kind == "date":
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise ValueError(f"should be a date like 2026-11-22, not {value!r}") from None
    elif kind == "binary":
        try:
            return base64.b64decode(value, validate=True)
        except (TypeError, ValueError, binascii.Error):
            raise ValueError("should be base64") from None
    return value


def read_archive(document: Any, *, schema_revision: str) -> list[tuple[sa.Table, list[dict[str, Any]]]]:
    """Every table's rows, checked against the tables of this version; ArchiveError otherwise."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ArchiveError('This is not a Roundtable archive (no "format": "roundtable-archive").')
    if document.get("version") != VERSION:
        raise ArchiveError(
            f"This archive has format version {document.get('version')!r}; this Roundtable reads version {VERSION}."
        )
    if document.get("schema_revision") != schema_revision:
        raise ArchiveError(
            f"The archive was made at schema revision {document.get('schema_revision')!r} and this database is at "
            f"{schema_revision!r}: import it with the Roundtable version that made it, then upgrade."
        )
    tables = document.get("tables")
    if not isinstance(tables, dict):
        raise ArchiveError('The archive has no "tables".')
    expected = archived_tables()
    unknown = sorted(set(tables) - {table.name for table in expected})
    if unknown:
        raise ArchiveError(f"The archive has tables this version does not know: {', '.join(unknown)}.")
    return [(table, _read_table(table, tables.get(table.name))) for table in expected]


def _read_table(table: sa.Table, content: Any) -> list[dict[str, Any]]:
    name = table.name
    if not isinstance(content, dict) or not isinstance(content.get("columns"), list):
        raise ArchiveError(f'The archive has no table {name} (or it has no "columns").')
    columns = content["columns"]
    missing = [column.name for column in table.columns if column.name not in columns]
    extra = [column for column in columns if column not in table.columns]
    if missing or extra or len(set(columns)) != len(columns):
        raise ArchiveError(
            f"Table {name}: the columns do not match this version's"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; unknown: {', '.join(map(str, extra))}" if extra else "")
            + "."
        )
    rows = content.get("rows")
    if not isinstance(rows, list):
        raise ArchiveError(f'Table {name} has no list of "rows".')
    kinds = {column.name: _kind(column) for column in table.columns}
    key = [column.name for column in table.primary_key.columns]
    seen: dict[tuple, int] = {}
    decoded = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, list) or len(row) != len(columns):
            raise ArchiveError(f"Table {name}, row {number}: expected {len(columns)} values.")
        values = {}
        for column_name, value in zip(columns, row, strict=True):
            try:
                values[column_name] = _decode(table.c[column_name], kinds[column_name], value)
            except ValueError as error:
                raise ArchiveError(f"Table {name}, row {number}: {column_name} {error}.") from None
        if key:
            identity = tuple(values[column] for column in key)
            if identity in seen:
                shown = ", ".join(f"{column}={value!r}" for column, value in zip(key, identity, strict=True))
                raise ArchiveError(f"Table {name}, row {number} repeats the key ({shown}) of row {seen[identity]}.")
            seen[identity] = number
        decoded.append(values)
    return decoded


async def import_archive(db: Database, document: Any, after_import: Sequence[Rebuild]) -> dict[str, int]:
    """Load an archive into an empty instance, all or nothing; rows loaded per table.
    `after_import`: the domains' rebuilds of what the archive leaves out (the search indexes)."""
    revision = ",".join(sorted(await schema.current_revisions(db)))
    tables = read_archive(document, schema_revision=revision)
    try:
        async with db.transaction():
            await _require_empty(db)
            for table in reversed(archived_tables()):
                await db.execute(table.delete())
            for table, rows in tables:
                await _insert(db, table, rows)
            for rebuild in after_import:
                await rebuild(db)
            if not db.is_sqlite:
                await _reset_sequences(db)
    except (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError) as error:
        raise ArchiveError(f"The archive breaks a rule of the database, so nothing was imported: {error}") from None
    return {table.name: len(rows) for table, rows in tables}


async def _require_empty(db: Database) -> None:
    holding = []
    for table in archived_tables():
        if table.name in SEEDED:
            continue
        if await db.fetch_val(sa.select(sa.func.count()).select_from(table)):
            holding.append(table.name)
    if holding:
        raise ArchiveError(
            "This instance is not empty (it has rows in "
            + ", ".join(holding[:5])
            + (", ..." if len(holding) > 5 else "")
            + "). Import into a new database: create it, run `roundtable db upgrade`, then import."
        )


def _self_references(table: sa.Table) -> list[str]:
    return [column.name for column in table.columns if any(fk.column.table is table for fk in column.foreign_keys)]


async def _insert(db: Database, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert in chunks; a column pointing into its own table is filled once every row is in."""
    later = _self_references(table)
    first = [{**row, **dict.fromkeys(later)} for row in rows] if later else rows
    size = max(1, _CHUNK_VALUES // max(1, len(table.columns)))
    for start in range(0, len(first), size):
        await db.execute(table.insert().values(first[start : start + size]))
    key = list(table.primary_key.columns)
    for row in rows:
        values = {name: row[name] for name in later if row[name] is not None}
        if values:
            await db.execute(table.update().where(*(column == row[column.name] for column in key)).values(**values))


async def _reset_sequences(db: Database) -> None:
    """Let the next id PostgreSQL hands out follow the largest one imported."""
    for table in archived_tables():
        key = list(table.primary_key.columns)
        if len(key) != 1 or _kind(key[0]) != "integer":
            continue
        sequence = sa.func.pg_get_serial_sequence(table.name, key[0].name)
        await db.fetch_val(
            sa.select(sa.func.setval(sequence, sa.func.coalesce(sa.func.max(key[0]), 0) + 1, False)).select_from(table)
        )
