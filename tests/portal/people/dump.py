"""Every row of every table of the test database, read as an operator's dump would read it.

Not only the tables the portal's metadata knows: SQLite's FTS5 tables (and their content
tables) and PostgreSQL's search tables with their tsvector columns are made by migrations alone.
"""

import sqlite3
from contextlib import closing

import psycopg

from portal import schema


def dump_rows(database_url: str) -> list[tuple[str, str]]:
    """(table, the row as lower-case text) for every row of every table."""
    if database_url.startswith("sqlite"):
        return _sqlite_rows(database_url.split("///", 1)[1])
    return _postgres_rows(database_url)


def _sqlite_rows(path: str) -> list[tuple[str, str]]:
    rows = []
    with closing(sqlite3.connect(path)) as connection:
        names = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for name in names:
            for row in connection.execute(f'SELECT * FROM "{name}"'):
                rows.append((name, " | ".join(_text(value) for value in row).lower()))
        # What each FTS5 index answers to (its vocabulary), besides the text it stores: a term
        # only the index kept would be found by a search even when no row shows it.
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%fts5(%'"
        ):
            connection.execute(f'CREATE VIRTUAL TABLE temp."vocabulary_{name}" USING fts5vocab(main, "{name}", row)')
            for (term,) in connection.execute(f'SELECT term FROM temp."vocabulary_{name}"'):
                rows.append((f"{name} (index terms)", term.lower()))
    return rows


def _text(value: object) -> str:
    if isinstance(value, bytes):
        # FTS5 keeps its index in blobs; a term in one shows here as the bytes of its letters.
        return value.decode("latin-1")
    return str(value)


def _postgres_rows(database_url: str) -> list[tuple[str, str]]:
    rows = []
    with psycopg.connect(schema.sync_url(database_url).replace("+psycopg", ""), autocommit=True) as connection:
        names = [name for (name,) in connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        for name in names:
            # A row as text holds every column, generated tsvector columns included.
            for (text,) in connection.execute(f'SELECT t::text FROM "{name}" AS t'):
                rows.append((name, text.lower()))
    return rows


def traces(database_url: str, needles: list[str]) -> list[tuple[str, str]]:
    """(table, needle) for each table where a row holds a needle (case ignored)."""
    found = set()
    for table, text in dump_rows(database_url):
        for needle in needles:
            if needle.lower() in text:
                found.add((table, needle))
    return sorted(found)
