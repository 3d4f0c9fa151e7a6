"""What the shell's tests share: a real SMTP server on loopback that the portal sends to, a database
with no schema yet, a count of the statements a page issues, and the app with its rate limits on."""

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal import schema
from portal.app import create_app
from portal.db import Database
from tests.apps import make_settings
from tests.mailbox import Mailbox
from tests.servers import redis_is_up


@pytest.fixture
def mailbox():
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture
def empty_database_url(database_url: str) -> str:
    """The test database with no schema at all, as on a first start."""
    if database_url.startswith("sqlite:///"):
        Path(database_url[len("sqlite:///") :]).unlink()
    else:
        engine = sa.create_engine(schema.sync_url(database_url))
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    yield database_url
    schema.upgrade(database_url)  # leave the shared PostgreSQL database usable for the next test


@pytest.fixture
def statements(monkeypatch):
    """Counts every statement that goes through portal's database layer."""
    counter = {"n": 0}
    for name in ("fetch_all", "fetch_one", "fetch_val", "execute"):
        original = getattr(Database, name)

        def counting(original=original):
            async def run(self, *args, **kwargs):
                counter["n"] += 1
                return await original(self, *args, **kwargs)

            return run

        monkeypatch.setattr(Database, name, counting())
    return counter


@pytest.fixture(params=["memory", "redis"])
async def limited_app(request, database_url, tmp_path):
    """The app with rate limits on, counting in memory or in Redis (a database number of its own
    and a fresh key prefix per test, so that runs never see each other's counts)."""
    overrides = {"RATE_LIMITS": "true"}
    if request.param == "redis":
        if not redis_is_up():
            pytest.skip("Redis is not running on 127.0.0.1:6379")
        overrides["REDIS_URL"] = "redis://127.0.0.1:6379/15"
        # These tests check what is counted, not failing open (tests/portal/test_rate_limit_faults.py):
        # on a busy machine 25 requests at once can keep the event loop from reading Redis's answer
        # within the 200 ms default, and the limits would then rightly let every request through.
        overrides["RATE_LIMIT_TIMEOUT"] = "10000"
    app = create_app(make_settings(database_url, tmp_path, **overrides))
    if request.param == "redis":
        app.state.limiter.prefix = f"roundtable-test-{uuid.uuid4().hex}"
    async with app.router.lifespan_context(app):
        yield app
