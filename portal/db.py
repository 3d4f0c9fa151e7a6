"""The database: metadata every domain's tables join, and the one door queries go through.

Domains write SQLAlchemy Core expressions and pass them to `Database`. The
connections come from `databases`: on PostgreSQL its asyncpg pool. On SQLite,
`databases` would open a new connection and thread per request, and concurrent
writers would fail with "database is locked"; instead this module keeps
long-lived connections per process: a few for reads, which WAL lets run beside a
write, and one for writes, which an in-process lock serializes and which begins
every transaction with BEGIN IMMEDIATE so that other processes wait
(busy_timeout) rather than fail half-way. Statements are compiled once per shape
and run on those connections by `portal.statements`.

A database that fails as a whole (a full disk, a PostgreSQL restart, a SQLite file that cannot be
opened or stays locked) raises `portal.faults.StorageFull` or `DatabaseUnavailable` from here, which
the app answers with a 503; a connection the server closed is discarded with every other one in the
pool (they went with the same restart), and a read outside a transaction is tried once more on a
fresh connection.
"""

import asyncio
import contextvars
import sqlite3
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import databases
import databases.core
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ClauseElement

from portal.db_internals import asyncpg_pool, query_lock
from portal.faults import DatabaseUnavailable, StorageFull, StorageHealth, database_fault
from portal.sqlite import Checkpointer, SQLiteConnection
from portal.statements import Row, StatementRunner, postgres_dialect, sqlite_dialect

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

# A 64-bit key on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the rowid.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_utc(text: str) -> datetime:
    """A timestamp written as text by either database (in JSON, say) as an aware UTC datetime:
    SQLite's naive UTC text, or PostgreSQL's with an offset."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class UTCDateTime(sa.TypeDecorator):
    """A timestamp that goes in and comes out as an aware UTC datetime on both databases."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use portal.db.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None or value.tzinfo is UTC:
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: sa.Dialect, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        # SQLite keeps the naive UTC text this type wrote: parsed as UTC in one C call, which
        # costs a quarter of a regex, or of datetime.replace(tzinfo=...).
        def from_text(value: str | None) -> datetime | None:
            if value is None:
                return None
            try:
                return datetime.fromisoformat(value + "+00:00")
            except ValueError:  # text written with an offset of its own
                return datetime.fromisoformat(value).astimezone(UTC)

        return from_text


_PING = sa.select(sa.literal_column("1"))

_transaction_connection: contextvars.ContextVar[databases.core.Connection | None] = contextvars.ContextVar(
    "roundtable_transaction_connection", default=None
)


async def _nothing_to_reset(connection: Any) -> None:
    """asyncpg's pool runs a reset query (RESET ALL, UNLISTEN *...) each time a connection goes
    back: a second round trip for every read. The portal changes no session state (no SET
    outside a transaction, no LISTEN, no advisory locks), so there is nothing to reset; an open
    transaction is still rolled back by the pool before this is called."""


class Database:
    def __init__(self, url: str, *, pool_size: int = 10, busy_timeout_ms: int = 30000, sqlite_readers: int = 3) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.dialect_name = "sqlite" if self.is_sqlite else "postgresql"
        self._busy_timeout_ms = busy_timeout_ms
        self._databases = (
            None if self.is_sqlite else databases.Database(url, min_size=1, max_size=pool_size, reset=_nothing_to_reset)
        )
        # Taken before a connection from the pool, and held until it is back: asyncpg's pool hands a
        # connection that comes back to whoever asks next, often a request that has just arrived
        # rather than the one woken up for it, which then queues again at the end. A semaphore
        # serves waiters first come, first served: under wrk -c50 the home list's p99 went from
        # 615 to 129 ms, search's from 662 to 388 ms, at the same requests/s.
        self._pool_turns: asyncio.Semaphore | None = None
        self._pool_size = pool_size
        self._reader_count = sqlite_readers
        self._readers: list[SQLiteConnection] = []
        # Held while a read runs on one of the readers: it hands them out first come, first served.
        self._free_readers: asyncio.Semaphore | None = None
        self._writer: SQLiteConnection | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._checkpointer: Checkpointer | None = None
        self._write_lock = asyncio.Lock()
        self._runner = StatementRunner(sqlite_dialect() if self.is_sqlite else postgres_dialect())
        self.health = StorageHealth()

    async def connect(self) -> None:
        if not self.is_sqlite:
            self._pool_turns = asyncio.Semaphore(self._pool_size)
            await self._databases.connect()
            return
        path = self.url[len("sqlite:///") :]
        # A thread for each reader and the writer when they wait or run long, and the checkpoints'.
        self._executor = ThreadPoolExecutor(self._reader_count + 2, thread_name_prefix="roundtable-sqlite")
        self._writer = SQLiteConnection(
            path, busy_timeout_ms=self._busy_timeout_ms, query_only=False, executor=self._executor
        )
        # Readers refuse writes: a write that bypassed transaction() would skip the write lock.
        self._readers = [
            SQLiteConnection(path, busy_timeout_ms=self._busy_timeout_ms, query_only=True, executor=self._executor)
            for _ in range(self._reader_count)
        ]
        self._free_readers = asyncio.Semaphore(self._reader_count)
        self._checkpointer = Checkpointer(path, self._executor)
        self._checkpointer.start()

    async def disconnect(self) -> None:
        if not self.is_sqlite:
            await self._databases.disconnect()
            return
        if self._checkpointer is not None:
            await self._checkpointer.stop()
            self._checkpointer = None
        async with self._write_lock:
            for connection in (*self._readers, self._writer):
                if connection is not None:
                    connection.close()
            self._readers, self._writer, self._free_readers = [], None, None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def _run(self, connection: Any, method: str, query: ClauseElement, *values: dict[str, Any] | None) -> Any:
        if self.is_sqlite:
            return await getattr(self._runner, method)(connection, query, *values)
        async with query_lock(connection):
            return await getattr(self._runner, method)(connection.raw_connection, query, *values)

    async def _read(self, query: ClauseElement, values: dict[str, Any] | None = None) -> list[Row]:
        """Run a read on the current transaction, a free SQLite reader, or the pool.

        A read that outgrows its time in the event loop moves to a thread (portal.sqlite), so
        several readers let a slow search run while other requests read beside it; WAL lets
        them all read beside the writer.
        """
        if query.is_dml:
            async with self.transaction() as connection:
                return await self._run(connection, "fetch_all", query, values)
        current = _transaction_connection.get()
        if current is not None:
            return await self._run(current, "fetch_all", query, values)  # its faults: see transaction()
        try:
            if self.is_sqlite:
                rows = await self._read_sqlite(query, values)
            else:
                try:
                    rows = await self._read_from_pool(query, values)
                except Exception as error:
                    if database_fault(error) is not DatabaseUnavailable:
                        raise
                    # A read changes nothing: once more, on a fresh connection.
                    rows = await self._read_from_pool(query, values)
        except Exception as error:
            fault = self._fault(error)
            if fault is None:
                raise
            raise fault from error
        self.health.read_succeeded()
        return rows

    async def _read_from_pool(self, query: ClauseElement, values: dict[str, Any] | None) -> list[Row]:
        # Straight from asyncpg's pool: a read needs none of what `databases` adds around a
        # connection (its per-task connection, its query lock), which cost ~10 % of a page.
        pool = asyncpg_pool(self._databases)
        async with self._pool_turns, pool.acquire() as raw:
            try:
                return await self._runner.fetch_all(raw, query, values)
            except Exception as error:
                if database_fault(error) is DatabaseUnavailable:
                    await self._discard(raw)
                raise

    async def _discard(self, raw: Any) -> None:
        """Drop a connection the server closed or left mid-operation, and the rest of the pool
        with it: after a restart every pooled connection is dead, and asyncpg would hand out
        each one (some in a broken state: "cannot switch to state 12") before noticing."""
        try:
            raw.terminate()  # the pool opens a new one in its place
        except asyncpg.InterfaceError:
            pass  # already back in the pool (`databases` releases it when a rollback fails): expired below
        await asyncpg_pool(self._databases).expire_connections()

    async def _read_sqlite(self, query: ClauseElement, values: dict[str, Any] | None) -> list[Row]:
        # When every reader is busy, the next one free goes to the request that has waited longest;
        # taking the first free one, else always the first, left a request queued on a busy reader
        # while later ones took the readers that came free.
        assert self._free_readers is not None, "Database.connect() was not called"
        async with self._free_readers:
            reader = next(reader for reader in self._readers if not reader.busy)
            return await self._run(reader, "fetch_all", query, values)

    def _fault(self, error: Exception) -> Exception | None:
        """The StorageFull or DatabaseUnavailable to raise for `error`, noted in `health`; None
        when `error` is something else (or already one of them)."""
        if isinstance(error, (StorageFull, DatabaseUnavailable)):
            return None
        kind = database_fault(error)
        if kind is StorageFull:
            self.health.saw_disk_full(error)
        elif kind is DatabaseUnavailable:
            self.health.saw_unavailable(error)
        else:
            return None
        return kind(f"{type(error).__name__}: {error}")

    async def fetch_all(self, query: ClauseElement, values: dict[str, Any] | None = None) -> list[Row]:
        """The rows; with `values`, `query` is a statement built once and kept, whose bindparam()s take them."""
        return await self._read(query, values)

    async def fetch_one(self, query: ClauseElement, values: dict[str, Any] | None = None) -> Row | None:
        """The first row; an INSERT/UPDATE/DELETE ... RETURNING runs as a write."""
        rows = await self._read(query, values)
        return rows[0] if rows else None

    async def fetch_val(self, query: ClauseElement, values: dict[str, Any] | None = None) -> Any:
        rows = await self._read(query, values)
        return next(iter(rows[0].values())) if rows else None

    async def execute(self, query: ClauseElement, values: dict[str, Any] | None = None) -> None:
        """Run a write; outside a transaction it gets one of its own. `values`: as for fetch_all."""
        async with self.transaction() as connection:
            await self._run(connection, "execute", query, values)

    async def execute_many(self, query: ClauseElement, values: Sequence[dict]) -> None:
        async with self.transaction() as connection:
            for row in values:
                await self._run(connection, "execute", query.values(**row))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        """A write transaction; statements inside it (through this object) run on it.

        A transaction opened inside another one joins it.
        """
        current = _transaction_connection.get()
        if current is not None:
            yield current
            return
        try:
            if self.is_sqlite:
                async with self._sqlite_write_transaction() as connection:
                    yield connection
            else:
                async with self._pool_turns, self._databases.connection() as connection:
                    try:
                        async with connection.transaction():
                            token = _transaction_connection.set(connection)
                            try:
                                yield connection
                            finally:
                                _transaction_connection.reset(token)
                    except Exception as error:
                        if database_fault(error) is DatabaseUnavailable:
                            await self._discard(connection.raw_connection)
                        raise
        except Exception as error:
            fault = self._fault(error)
            if fault is None:
                raise
            raise fault from error
        self.health.write_succeeded()

    @asynccontextmanager
    async def _sqlite_write_transaction(self) -> AsyncIterator[SQLiteConnection]:
        writer = self._writer
        assert writer is not None, "Database.connect() was not called"
        async with self._write_lock:
            token = _transaction_connection.set(writer)
            try:
                # BEGIN and COMMIT run without yielding to the event loop (a cancelled request must
                # not leave them half-done while the lock passes to the next writer), and so the
                # lock is not held across a turn of the loop; only waiting for another process's
                # write goes to a thread, shielded.
                if not writer.begin_immediate_at_once():
                    await asyncio.shield(writer.begin_immediate())
                yield writer
                writer.commit()
            except BaseException:
                await asyncio.shield(writer.rollback_if_open())
                raise
            finally:
                _transaction_connection.reset(token)
        # Then a turn of the event loop for the other requests, the lock released: without it, under
        # wrk -c50 a few vote requests waited seconds (p99 2-3 s against 0.8-1.2 s with it).
        await asyncio.sleep(0)

    async def ping(self) -> None:
        """Ask the database for nothing: raises DatabaseUnavailable when it does not answer."""
        await self.fetch_val(_PING)

    def is_unique_violation(self, error: BaseException) -> bool:
        """Whether `error` is the database refusing a duplicate key."""
        if self.is_sqlite:
            return isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error)
        return isinstance(error, asyncpg.UniqueViolationError)

    def insert(self, table: sa.Table) -> Any:
        """An INSERT that supports `.on_conflict_do_nothing()` on this database."""
        return (sqlite.insert if self.is_sqlite else postgresql.insert)(table)
