"""Running jobs: handlers registered by kind, retries with backoff, and the loop inside the server.

A domain registers a handler with `@job("kind")` and adds work with `queries.enqueue()` in the
transaction that makes it necessary. Every worker process runs the loop (setting JOBS_INTERVAL);
`claim_due_jobs` makes sure each job runs in one of them. After a response that enqueued work,
`kick(request)` wakes the loop at once, so nothing waits for the next poll and no request waits
for the work. `roundtable jobs run` runs what is due from the command line.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from portal.db import Database, utcnow
from portal.jobs import queries
from portal.settings import Settings

logger = logging.getLogger("roundtable.jobs")

LEASE = timedelta(minutes=15)
STOP_GRACE_SECONDS = 10
BATCH = 20


@dataclass(frozen=True)
class JobContext:
    db: Database
    settings: Settings
    now: datetime


Handler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class JobKind:
    handler: Handler
    max_attempts: int
    first_retry: timedelta

    def retry_delay(self, attempts: int) -> timedelta:
        """Backoff: the first retry after `first_retry`, then four times longer each time."""
        return self.first_retry * (4 ** (attempts - 1))


KINDS: dict[str, JobKind] = {}


class PermanentFailure(Exception):
    """Raised by a handler when trying again cannot help; the job fails at once."""


def job(kind: str, *, max_attempts: int = 5, first_retry: timedelta = timedelta(seconds=30)) -> Callable:
    def register(handler: Handler) -> Handler:
        KINDS[kind] = JobKind(handler=handler, max_attempts=max_attempts, first_retry=first_retry)
        return handler

    return register


@dataclass
class RunReport:
    done: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.done + self.retried + self.failed


async def run_due_jobs(
    db: Database, settings: Settings, *, now: datetime | None = None, stop: Callable[[], bool] = lambda: False
) -> RunReport:
    """Run every job due at `now` (default: the clock), batch after batch, until none is left
    (or `stop()` says the server is stopping: claimed jobs not yet run go back to the table)."""
    report = RunReport()
    clock_given = now is not None
    while not stop():
        at = now if clock_given else utcnow()
        claimed = await queries.claim_due_jobs(db, now=at, lease=LEASE, limit=BATCH)
        if not claimed:
            return report
        for index, row in enumerate(claimed):
            if stop():
                await queries.release_jobs(db, [left["id"] for left in claimed[index:]])
                return report
            await _run_one(db, settings, row, at, report)
    return report


async def _run_one(db: Database, settings: Settings, row: Any, now: datetime, report: RunReport) -> None:
    kind = KINDS.get(row["kind"])
    if kind is None:
        await queries.fail_job(db, row["id"], now=now, error=f"no handler for jobs of kind {row['kind']!r}")
        report.failed += 1
        return
    try:
        await kind.handler(JobContext(db=db, settings=settings, now=now), row["payload"])
    except Exception as error:  # noqa: BLE001 - any failure is recorded on the job and retried
        message = f"{type(error).__name__}: {error}"
        if isinstance(error, PermanentFailure) or row["attempts"] >= kind.max_attempts:
            logger.warning("job %s (%s) failed for good: %s", row["id"], row["kind"], message)
            await queries.fail_job(db, row["id"], now=now, error=message)
            report.failed += 1
        else:
            run_at = now + kind.retry_delay(row["attempts"])
            logger.info("job %s (%s) will be retried at %s: %s", row["id"], row["kind"], run_at, message)
            await queries.retry_job(db, row["id"], run_at=run_at, error=message)
            report.retried += 1
        return
    await queries.finish_job(db, row["id"], now=now)
    report.done += 1


class JobLoop:
    """The loop each server process runs: every JOBS_INTERVAL seconds, or at once when kicked."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._settings = settings
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stopping = False

    def start(self) -> None:
        if self._settings.jobs_interval > 0:
            self._task = asyncio.create_task(self._loop(), name="roundtable-jobs")

    async def stop(self) -> None:
        if self._task is None:
            return
        # Let the batch in hand finish rather than cancel it mid-query: a cancelled query can leave
        # its pooled asyncpg connection checked out, and disconnecting then waits for it forever.
        self._stopping = True
        self._wake.set()
        done, _ = await asyncio.wait({self._task}, timeout=STOP_GRACE_SECONDS)
        if not done:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self._task = None

    def kick(self) -> None:
        self._wake.set()

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await run_due_jobs(self._db, self._settings, stop=lambda: self._stopping)
            except Exception:  # noqa: BLE001 - the loop outlives a database hiccup
                logger.exception("running jobs failed; trying again later")
            if self._stopping:
                return
            try:
                async with asyncio.timeout(self._settings.jobs_interval):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()


def kick(request: Request) -> None:
    """Wake this process's job loop; call after enqueueing work in a request."""
    loop: JobLoop | None = getattr(request.app.state, "jobs", None)
    if loop is not None:
        loop.kick()


class KickJobsMiddleware:
    """Wake the job loop after any request that enqueued work, once its response is sent.

    Work enqueued deep inside a domain's queries (notify() adds email jobs) needs no `kick()`
    in every route that can lead there.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        enqueued: list[str] = []
        token = queries.enqueued_in_request.set(enqueued)
        try:
            await self.app(scope, receive, send)
        finally:
            queries.enqueued_in_request.reset(token)
            loop: JobLoop | None = getattr(scope["app"].state, "jobs", None) if "app" in scope else None
            if enqueued and loop is not None:
                loop.kick()
