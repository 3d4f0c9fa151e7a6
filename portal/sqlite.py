"""SQLite connections driven from the event loop, with slow work moved to a thread.

An indexed read on SQLite takes tens of microseconds; handing it to a thread and back (as
aiosqlite does) costs more than that, and under load each hand-off also waits for the GIL.
So a statement first runs right here in the event loop, with a budget of INLINE_BUDGET: a
progress handler stops a read that goes past it, and the read runs again in a thread, where
it may take as long as it needs while other requests go on. Writes are never stopped half-way
(stopping a write inside a transaction would roll the whole transaction back); they are short,
one row or a few, and run inline. BEGIN IMMEDIATE first tries without waiting, and waits for
another process's write (busy_timeout) only in a thread.

Each connection runs one statement at a time (an asyncio lock); a thread that is running a
statement is always waited for, even when the request that asked for it is cancelled, so the
connection is never used by two threads at once.

The write-ahead log is copied into the database file by a Checkpointer, from a thread, a few
times a second: left to the writer (SQLite's automatic checkpoint), that copy ran inside the
COMMIT of every ~200th vote and held the event loop for 5 to 18 ms each time.
"""

import asyncio
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

INLINE_BUDGET = 0.002  # seconds a read may hold the event loop before it moves to a thread
PROGRESS_STEPS = 1000  # SQLite virtual-machine steps between two looks at the clock
CHECKPOINT_EVERY = 0.25  # seconds between two checkpoints by the Checkpointer
# Pages of log after which a COMMIT checkpoints by itself after all: only if the Checkpointer
# falls behind (or is not running), so that the log cannot grow without end.
AUTOCHECKPOINT_PAGES = 20000


class SQLiteConnection:
    def __init__(self, path: str, *, busy_timeout_ms: int, query_only: bool, executor: ThreadPoolExecutor) -> None:
        """`query_only`: a reader, which refuses writes; otherwise the writer, which leaves
        checkpoints to the Checkpointer."""
        self._busy_timeout_ms = busy_timeout_ms
        self._executor = executor
        self._lock = asyncio.Lock()
        self._deadline: float | None = None
        self.connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        for pragma in (
            "PRAGMA journal_mode = WAL",
            "PRAGMA foreign_keys = ON",
            "PRAGMA synchronous = NORMAL",
            f"PRAGMA busy_timeout = {int(busy_timeout_ms)}",
            "PRAGMA query_only = ON" if query_only else "PRAGMA query_only = OFF",
            *(() if query_only else (f"PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_PAGES}",)),
        ):
            self.connection.execute(pragma)
        self.connection.set_progress_handler(self._over_budget, PROGRESS_STEPS)

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def _over_budget(self) -> int:
        return 1 if self._deadline is not None and time.perf_counter() > self._deadline else 0

    async def fetch(self, sql: str, args: list[Any], *, may_stop: bool) -> tuple[list[tuple], list[str]]:
        """The rows and the column names; `may_stop`: a read that may move to a thread."""
        async with self._lock:
            if may_stop:
                self._deadline = time.perf_counter() + INLINE_BUDGET
            try:
                return self._fetch(sql, args)
            except sqlite3.OperationalError as error:
                if not (may_stop and str(error) == "interrupted"):
                    raise
            finally:
                self._deadline = None
            return await self._in_thread(lambda: self._fetch(sql, args))

    def _fetch(self, sql: str, args: list[Any]) -> tuple[list[tuple], list[str]]:
        cursor = self.connection.execute(sql, args)
        try:
            rows = cursor.fetchall()
            return rows, [column[0] for column in cursor.description or ()]
        finally:
            cursor.close()

    async def executemany(self, sql: str, rows: list[tuple]) -> None:
        """One prepared statement over many rows (bulk writes such as a repository's commits), in a thread."""
        async with self._lock:
            await self._in_thread(lambda: self.connection.executemany(sql, rows))

    def begin_immediate_at_once(self) -> bool:
        """BEGIN IMMEDIATE without waiting: False when another process is writing (then await
        begin_immediate()). Synchronous, so that nothing can interrupt it half-way."""
        assert not self._lock.locked(), "a statement is still running on this connection"
        self.connection.execute("PRAGMA busy_timeout = 0")
        try:
            self.connection.execute("BEGIN IMMEDIATE")
            return True
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            return False
        finally:
            self.connection.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")

    async def begin_immediate(self) -> None:
        async with self._lock:
            # Another process is writing: wait for it (busy_timeout) away from the event loop.
            await self._in_thread(lambda: self.connection.execute("BEGIN IMMEDIATE"))

    def commit(self) -> None:
        """Synchronous, like begin_immediate_at_once(): a cancelled request cannot stop it half-way."""
        assert not self._lock.locked(), "a statement is still running on this connection"
        self.connection.execute("COMMIT")

    async def rollback_if_open(self) -> None:
        async with self._lock:
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")

    async def _in_thread(self, work: Callable[[], T]) -> T:
        future = asyncio.get_running_loop().run_in_executor(self._executor, work)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            # The thread goes on with this connection: wait for it before anyone else may use it.
            await asyncio.wait([future])
            raise

    def close(self) -> None:
        self.connection.close()


class Checkpointer:
    """Copies the write-ahead log into the database file every CHECKPOINT_EVERY seconds, on a
    connection of its own in a thread (SQLite lets go of the GIL while it copies), as a PASSIVE
    checkpoint: it waits for no reader and no writer, and copies what it can."""

    def __init__(self, path: str, executor: ThreadPoolExecutor) -> None:
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._executor = executor
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="roundtable-sqlite-checkpoints")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task])
            self._task = None
        self._connection.close()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(CHECKPOINT_EVERY)
            # Shielded: a stop() while it copies waits for the thread before closing its connection.
            copy = loop.run_in_executor(self._executor, self._checkpoint)
            try:
                await asyncio.shield(copy)
            except asyncio.CancelledError:
                await asyncio.wait([copy])
                raise

    def _checkpoint(self) -> None:
        try:
            self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.OperationalError:  # busy or locked by another process: next time
            pass
