"""The app under test on a real database: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.

Every test that takes `app`, `database_url` or a person runs once per database.
"""

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from portal import schema
from portal.app import create_app
from portal.db import metadata
from portal.settings import Settings
from tests.apps import make_settings
from tests.browser import CHROMIUM, require_browser
from tests.people import Person

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
DATABASES = ["sqlite", "postgresql"] if TEST_DATABASE_URL else ["sqlite"]

# tests/processes.py: the check, at the end of the run, that no process the tests started is left.
pytest_plugins = ["pytester", "tests.processes"]


def pytest_report_header() -> str:
    if TEST_DATABASE_URL:
        return "databases this run covers: SQLite and PostgreSQL (TEST_DATABASE_URL)"
    return "databases this run covers: SQLite only (set TEST_DATABASE_URL=postgresql://... to add PostgreSQL)"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies, so migrations run once."""
    path = tmp_path_factory.mktemp("template") / "roundtable.db"
    schema.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A fresh database on the TEST_DATABASE_URL server, dropped at the end of the run."""
    if not TEST_DATABASE_URL:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL=postgresql://user@host:5432/db")
    try:
        admin = psycopg.connect(schema.sync_url(TEST_DATABASE_URL).replace("+psycopg", ""), autocommit=True)
    except psycopg.OperationalError as error:
        pytest.fail(f"TEST_DATABASE_URL is set but PostgreSQL cannot be reached: {error}")
    name = f"roundtable_test_{uuid.uuid4().hex[:12]}"
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = TEST_DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    try:
        schema.upgrade(url)
        yield url
    finally:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.close()


class PostgresReset:
    """Empties every table between tests and puts back the rows the migrations seeded."""

    def __init__(self, url: str) -> None:
        self.connection = psycopg.connect(schema.sync_url(url).replace("+psycopg", ""), autocommit=True)
        self.seeded = {}
        for table in metadata.sorted_tables:
            cursor = self.connection.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table.name)))
            self.seeded[table.name] = ([column.name for column in cursor.description], cursor.fetchall())

    def __call__(self) -> None:
        tables = sql.SQL(", ").join(sql.Identifier(name) for name in self.seeded)
        with self.connection.transaction():
            self.connection.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(tables))
            for name, (columns, rows) in self.seeded.items():
                if not rows:
                    continue
                statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                    sql.Identifier(name),
                    sql.SQL(", ").join(map(sql.Identifier, columns)),
                    sql.SQL(", ").join(sql.Placeholder() * len(columns)),
                )
                self.connection.cursor().executemany(statement, rows)
                if "id" in columns:
                    self.connection.execute(
                        sql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'), (SELECT max(id) FROM {}))").format(
                            sql.Literal(name), sql.Identifier(name)
                        )
                    )


@pytest.fixture(scope="session")
def postgres_reset(postgres_server: str) -> Iterator[PostgresReset]:
    reset = PostgresReset(postgres_server)
    yield reset
    reset.connection.close()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "roundtable.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    request.getfixturevalue("postgres_reset")()
    return request.getfixturevalue("postgres_server")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment the `roundtable` command reads in CLI tests."""
    return {"DATA_DIR": str(tmp_path), "DATABASE_URL": database_url, "ARGON2_PROFILE": "CHEAPEST"}


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
def db(app):
    return app.state.db


@pytest.fixture
async def visitor(app) -> AsyncIterator[Person]:
    """Someone who is not signed in."""
    async with Person.browsing(app) as person:
        yield person


@pytest.fixture
async def person(app) -> AsyncIterator:
    """Make named people: `ada = await person("ada", role="admin", founder=True)` (signed in)."""
    opened: list[Person] = []

    async def make(username: str, *, role: str = "member", founder: bool = False, signed_in: bool = True) -> Person:
        someone = await Person.create(app, username, role=role, founder=founder)
        opened.append(someone)
        if signed_in:
            await someone.sign_in()
        return someone

    yield make
    for someone in opened:
        await someone.close()


@pytest.fixture
def page():
    """A page in a real, headless Chromium on a phone-sized screen (tests/browser.py)."""
    sync_api = require_browser()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic"],
        )
        context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
        yield context.new_page()
        context.close()
        browser.close()
