"""The database layer: SQLite's pragmas and write serialization, and several workers writing at once."""

import asyncio
import sqlite3
import threading
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from ideas.tables import ideas, votes
from portal.schema import sync_url
from tests.pages import values
from tests.people import PASSWORD
from tests.servers import running_portal
from tests.waiting import until


async def test_sqlite_runs_in_wal_mode_with_foreign_keys_on(db):
    if not db.is_sqlite:
        pytest.skip("SQLite pragmas")
    assert (await db.fetch_val(sa.text("PRAGMA journal_mode"))).lower() == "wal"
    assert await db.fetch_val(sa.text("PRAGMA foreign_keys")) == 1
    async with db.transaction():
        assert await db.fetch_val(sa.text("PRAGMA foreign_keys")) == 1


async def test_sqlite_writes_reach_the_database_file_without_a_commit_copying_them(db, database_url, person):
    """The log is copied into the file from a thread (portal.sqlite.Checkpointer), not inside a
    COMMIT, where each copy held every request for milliseconds."""
    if not db.is_sqlite:
        pytest.skip("SQLite's write-ahead log")
    async with db.transaction():  # the writer's connection
        assert await db.fetch_val(sa.text("PRAGMA wal_autocheckpoint")) > 1000
    linus = await person("linus")
    idea_id = await linus.submit_idea("Written to the log first")
    # The database file alone, without its log (immutable=1 reads the file as it is).
    path = sync_url(database_url).removeprefix("sqlite:///")

    def in_the_file() -> bool:
        in_file = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
        try:
            return bool(in_file.execute("SELECT count(*) FROM ideas WHERE id = ?", (idea_id,)).fetchone()[0])
        finally:
            in_file.close()

    await until(in_the_file, within=2, every=0.05, what="the idea to leave the write-ahead log for the file")


async def test_a_failed_transaction_leaves_nothing_written(db, person):
    linus = await person("linus")
    idea_id = await linus.submit_idea("Half-written?")
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.execute(ideas.update().where(ideas.c.id == idea_id).values(vote_count=5))
            raise RuntimeError("boom")
    assert await db.fetch_val(sa.select(ideas.c.vote_count).where(ideas.c.id == idea_id)) == 0


async def test_the_database_refuses_a_vote_count_below_zero(db, person):
    linus = await person("linus")
    idea_id = await linus.submit_idea("Constraints hold")
    with pytest.raises(Exception, match="(?i)check"):
        await db.execute(ideas.update().where(ideas.c.id == idea_id).values(vote_count=-1))


@pytest.fixture
def two_workers(database_url: str, tmp_path: Path):
    """The real server, `roundtable serve --workers 2`, on the test database."""
    with running_portal(database_url, tmp_path, workers=2) as base:
        yield base


async def sign_up(client: httpx.AsyncClient, username: str) -> str:
    page = await client.get("/signup")
    token = values(page)["csrf_token"]
    response = await client.post(
        "/signup",
        data={"csrf_token": token, "username": username, "email": f"{username}@example.org", "password": PASSWORD},
    )
    assert response.status_code == 303, response.text
    page = await client.get("/")
    return values(page)["csrf_token"]


async def test_two_worker_processes_voting_at_once_never_fail_or_miscount(two_workers, database_url):
    base = two_workers
    clients = [httpx.AsyncClient(base_url=base, timeout=60) for _ in range(30)]
    try:
        tokens = await asyncio.gather(*(sign_up(client, f"member{n}") for n, client in enumerate(clients)))
        author, author_token = clients[0], tokens[0]
        created = await author.post("/ideas/new", data={"csrf_token": author_token, "title": "Shared by all"})
        idea_path = created.headers["location"]

        async def vote_twice_and_comment(client: httpx.AsyncClient, token: str) -> list[int]:
            codes = []
            for choice in ("1", "0", "1"):
                response = await client.post(f"{idea_path}/vote", data={"csrf_token": token, "vote": choice})
                codes.append(response.status_code)
            response = await client.post(f"{idea_path}/comments", data={"csrf_token": token, "body": "+1"})
            codes.append(response.status_code)
            return codes

        results = await asyncio.gather(*(vote_twice_and_comment(c, t) for c, t in zip(clients, tokens, strict=True)))
        assert all(code == 303 for codes in results for code in codes), results
    finally:
        for client in clients:
            await client.aclose()

    engine = sa.create_engine(sync_url(database_url))
    with engine.connect() as connection:
        idea_id = int(idea_path.rsplit("/", 1)[1])
        stored = connection.execute(
            sa.select(ideas.c.vote_count, ideas.c.comment_count).where(ideas.c.id == idea_id)
        ).one()
        rows = connection.execute(
            sa.select(sa.func.count()).select_from(votes).where(votes.c.idea_id == idea_id)
        ).scalar()
    engine.dispose()
    assert stored.vote_count == rows == 30
    assert stored.comment_count == 30


async def test_a_write_cancelled_while_another_process_holds_the_lock_leaves_no_transaction_open(db, settings, person):
    if not db.is_sqlite:
        pytest.skip("SQLite's file lock")
    import sqlite3

    linus = await person("linus")
    other_process = sqlite3.connect(settings.sqlite_path(), isolation_level=None, check_same_thread=False)
    other_process.execute("BEGIN IMMEDIATE")

    async def write() -> None:
        async with db.transaction():
            await db.execute(ideas.update().values(title="never"))

    task = asyncio.create_task(write())
    await asyncio.sleep(0.3)  # BEGIN IMMEDIATE is waiting on the other process
    # The other process finishes its write a moment after the request is cancelled.
    release = threading.Timer(0.3, lambda: (other_process.execute("ROLLBACK"), other_process.close()))
    release.start()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    release.join()
    idea_id = await linus.submit_idea("Written after the cancelled one")
    assert idea_id
    assert await db.fetch_val(sa.select(sa.func.count()).where(ideas.c.title == "never")) == 0


async def test_statements_compiled_once_still_bind_each_call_s_own_values(db):
    """The compiled-statement cache must never leak one call's values, list lengths or types into another."""
    from portal.db import utcnow
    from portal.jobs.tables import jobs

    when = utcnow()
    for number in range(5):
        await db.execute(
            jobs.insert().values(kind=f"k{number}", payload={"n": number, "tags": ["a"]}, run_at=when, created_at=when)
        )

    def kinds_in(names):
        return sa.select(jobs.c.kind, jobs.c.payload, jobs.c.run_at, jobs.c.failed).where(jobs.c.kind.in_(names))

    two = await db.fetch_all(kinds_in(["k1", "k3"]).order_by(jobs.c.kind))
    three = await db.fetch_all(kinds_in(["k0", "k2", "k4"]).order_by(jobs.c.kind))
    none = await db.fetch_all(kinds_in([]))
    one = await db.fetch_one(sa.select(jobs.c.kind).where(jobs.c.payload["n"].as_integer() == 4))

    assert [row["kind"] for row in two] == ["k1", "k3"] and [row.kind for row in three] == ["k0", "k2", "k4"]
    assert none == [] and one["kind"] == "k4" and one[0] == "k4" and one[jobs.c.kind] == "k4"
    assert two[0]["payload"] == {"n": 1, "tags": ["a"]} and two[0]["failed"] is False
    assert two[0]["run_at"] == when and two[0]["run_at"].tzinfo is not None
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(jobs)) == 5
    assert [tuple(row.values()) for row in await db.fetch_all(sa.text("SELECT 1 AS one, 'x' AS x"))] == [(1, "x")]


COUNT_TO_A_MILLION = sa.text(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) SELECT count(*) FROM n"
)


async def test_a_slow_sqlite_read_moves_off_the_event_loop_and_still_answers(db):
    if not db.is_sqlite:
        pytest.skip("SQLite runs short reads in the event loop")
    ticks = []

    async def tick_while(task):
        while not task.done():
            ticks.append(1)
            await asyncio.sleep(0.001)

    slow = asyncio.ensure_future(db.fetch_val(COUNT_TO_A_MILLION))
    await tick_while(slow)

    assert slow.result() == 1_000_000
    assert len(ticks) >= 10, "the event loop stood still while SQLite counted"


async def test_a_read_waiting_for_a_connection_is_served_before_later_ones(database_url, app):
    """Two connections, both busy with slow reads; a read that waits gets the first to come free,
    not the request that frees it and asks again at once (asyncpg's pool, and a reader picked
    among the free ones, gave it to whoever asked last)."""
    from portal.db import Database

    db = Database(database_url, pool_size=2, sqlite_readers=2)
    await db.connect()
    if db.is_sqlite:

        def slow(size):
            return sa.text(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :size) SELECT count(*) FROM n"
            ).bindparams(size=size)

        long_read, short_read = slow(3_000_000), slow(300_000)
    else:
        long_read, short_read = sa.text("SELECT pg_sleep(1.0)"), sa.text("SELECT pg_sleep(0.1)")
    finished = []

    async def read(name, query, times=1):
        for _ in range(times):
            await db.fetch_val(query)
        finished.append(name)

    try:
        long = asyncio.create_task(read("long", long_read))
        again = asyncio.create_task(read("again and again", short_read, times=4))
        await asyncio.sleep(0.02)  # both connections busy
        await read("waiting", sa.text("SELECT 1"))
        await asyncio.gather(long, again)
    finally:
        await db.disconnect()
    assert finished.index("waiting") < finished.index("again and again")
    assert finished.index("waiting") < finished.index("long")


async def test_a_slow_sqlite_write_is_never_stopped_half_way(db, person):
    ada = await person("ada")
    idea_id = await ada.submit_idea("Counted in one transaction")
    async with db.transaction():
        await db.execute(ideas.update().where(ideas.c.id == idea_id).values(title="Still here after a slow write"))
        await db.execute(
            sa.text(
                "UPDATE ideas SET comment_count = (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
                " FROM n WHERE i < 300000) SELECT count(*) - 300000 FROM n) WHERE id = :id"
            ).bindparams(id=idea_id)
        )
    row = await db.fetch_one(sa.select(ideas.c.title, ideas.c.comment_count).where(ideas.c.id == idea_id))
    assert (row["title"], row["comment_count"]) == ("Still here after a slow write", 0)
