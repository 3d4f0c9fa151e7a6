"""Running jobs: handlers registered by kind, retries with backoff, and the loop inside the server.

A domain lists its kinds of job in its Domain (`jobs={"kind": JobKind(handler)}`) and adds work
with `queries.enqueue()` in the transaction that makes it necessary. Every worker process runs
the loop (setting JOBS_INTERVAL). After a response that enqueued work, KickJobsMiddleware wakes the
loop at once, so nothing waits for the next poll and no request waits for the work.
`roundtable jobs run` runs what is due from the command line.

A process claims one job at a time, just before running it, under a lease of JOBS_LEASE seconds
that it renews every JOBS_HEARTBEAT seconds while the job runs. When a process dies its lease
lapses and another process takes the job over; a process that could not renew its lease in time
stops the job (another may have taken it) and records nothing. So a job can be started again
after a crash: handlers are written for that. Those whose effect the outside world cannot
deduplicate record each step before the next one (emails: portal.mail.sender); the others send
an idempotency key that stays the same across attempts (webhooks: portal.webhooks.delivery).
"""

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from portal.db import Database, utcnow
from portal.domains import Assembly, using
from portal.faults import DatabaseUnavailable, StorageFull
from portal.jobs import queries
from portal.settings import Settings

logger = logging.getLogger("roundtable.jobs")

STOP_GRACE_SECONDS = 10


@dataclass(frozen=True)
class JobContext:
    db: Database
    settings: Settings
    now: datetime
    # The app's domains: what a handler asks of them (the posts an email quotes).
    assembly: Assembly


Handler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class JobKind:
    handler: Handler
    max_attempts: int = 5
    first_retry: timedelta = timedelta(seconds=30)

    def retry_delay(self, attempts: int) -> timedelta:
        """Backoff: the first retry after `first_retry`, then four times longer each time."""
        return self.first_retry * (4 ** (attempts - 1))


class PermanentFailure(Exception):
    """Raised by a handler when trying again cannot help; the job fails at once."""


@dataclass
class RunReport:
    done: int = 0
    retried: int = 0
    failed: int = 0
    lost: int = 0  # stopped because the lease went to another process

    @property
    def total(self) -> int:
        return self.done + self.retried + self.failed + self.lost


class LeaseLost(Exception):
    """The job's lease could not be renewed in time: another process may be running it now."""


def new_lease_token() -> str:
    """Names the holder of one claim: the host and process (for whoever reads the table), and a random part."""
    return f"{socket.gethostname()[:150]}:{os.getpid()}:{secrets.token_hex(8)}"


class Heartbeat:
    """Renews a running job's lease every JOBS_HEARTBEAT seconds while the job runs.

    `run(work)` runs the job in a task of its own beside the renewals; when a renewal finds that
    another process holds the lease, or none succeeded before the lease would lapse, the job is
    cancelled and `LeaseLost` raised. Time is counted on this process's monotonic clock from
    before the claim, so this side believes it holds the lease no longer than the database does.
    """

    def __init__(self, db: Database, job_id: int, token: str, *, settings: Settings, claimed: float) -> None:
        self._db, self._job_id, self._token = db, job_id, token
        self._lease, self._every = settings.jobs_lease, settings.jobs_heartbeat
        self._valid_until = claimed + self._lease
        self._done = asyncio.Event()
        self.lost: str | None = None

    async def run(self, work: Awaitable[None]) -> None:
        job = asyncio.ensure_future(work)
        beating = asyncio.create_task(self._beat(), name=f"roundtable-job-{self._job_id}-heartbeat")
        try:
            await asyncio.wait({job, beating}, return_when=asyncio.FIRST_COMPLETED)
            if job.done():
                return job.result()
            job.cancel()
            await asyncio.wait({job})
            raise LeaseLost(f"job {self._job_id} stopped: {self.lost}")
        finally:
            # Stopped by an event rather than cancelled: a renewal under way finishes its query.
            self._done.set()
            if not job.done():  # the server is stopping and cancelled us: the job stops too
                job.cancel()
                await asyncio.wait({job})
            await asyncio.wait({beating})

    async def _beat(self) -> None:
        while not self._done.is_set():
            left = self._valid_until - time.monotonic()
            if left > 0:
                try:
                    async with asyncio.timeout(min(self._every, left)):
                        await self._done.wait()
                    return
                except TimeoutError:
                    pass
            if time.monotonic() >= self._valid_until:
                self.lost = "its lease lapsed before it could be renewed"
                break
            asked = time.monotonic()
            try:
                renewed = await queries.renew_lease(
                    self._db, self._job_id, token=self._token, until=utcnow() + timedelta(seconds=self._lease)
                )
            except Exception:  # noqa: BLE001 - tried again at the next beat, while the lease lasts
                logger.warning("could not renew the lease on job %s; trying again", self._job_id, exc_info=True)
                continue
            if not renewed:
                self.lost = "another process holds its lease"
                break
            self._valid_until = asked + self._lease
        if self.lost:
            logger.warning("job %s stopped: %s", self._job_id, self.lost)


async def run_due_jobs(
    db: Database,
    settings: Settings,
    assembly: Assembly,
    *,
    now: datetime | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> RunReport:
    """Run every job due at `now` (default: the clock), one claimed at a time, until none is left
    (or `stop()` says the server is stopping), with the handlers of the assembly's `jobs`."""
    report = RunReport()
    lease = timedelta(seconds=settings.jobs_lease)
    while not stop():
        at = now if now is not None else utcnow()
        token = new_lease_token()
        claimed = time.monotonic()
        row = await queries.claim_next_job(db, now=at, lease=lease, token=token)
        if row is None:
            return report
        with using(assembly):
            await _run_one(JobContext(db, settings, at, assembly), assembly.jobs, row, token, claimed, report)
    return report


async def _run_one(
    context: JobContext, kinds: Mapping[str, JobKind], row: Any, token: str, claimed: float, report: RunReport
) -> None:
    db, settings, now = context.db, context.settings, context.now
    kind = kinds.get(row["kind"])
    if kind is None:
        await queries.fail_job(
            db, row["id"], token=token, now=now, error=f"no handler for jobs of kind {row['kind']!r}"
        )
        report.failed += 1
        return
    try:
        heartbeat = Heartbeat(db, row["id"], token, settings=settings, claimed=claimed)
        await heartbeat.run(kind.handler(context, row["payload"]))
    except LeaseLost:
        report.lost += 1
        return
    except Exception as error:  # noqa: BLE001 - any failure is recorded on the job and retried
        message = f"{type(error).__name__}: {error}"
        if isinstance(error, PermanentFailure) or row["attempts"] >= kind.max_attempts:
            logger.warning("job %s (%s) failed for good: %s", row["id"], row["kind"], message)
            settled = await queries.fail_job(db, row["id"], token=token, now=now, error=message)
            report.failed += 1
        else:
            run_at = now + kind.retry_delay(row["attempts"])
            logger.info("job %s (%s) will be retried at %s: %s", row["id"], row["kind"], run_at, message)
            settled = await queries.retry_job(db, row["id"], token=token, run_at=run_at, error=message)
            report.retried += 1
    else:
        settled = await queries.finish_job(db, row["id"], token=token, now=now)
        report.done += 1
    if not settled:
        logger.warning("job %s (%s) ended after its lease went to another process", row["id"], row["kind"])


class JobLoop:
    """The loop each server process runs: every JOBS_INTERVAL seconds, or at once when kicked."""

    def __init__(self, db: Database, settings: Settings, assembly: Assembly) -> None:
        self._db = db
        self._settings = settings
        self._assembly = assembly
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stopping = False

    def start(self) -> None:
        if self._settings.jobs_interval > 0:
            self._task = asyncio.create_task(self._loop(), name="roundtable-jobs")

    async def stop(self) -> None:
        if self._task is None:
            return
        # Let the job in hand finish rather than cancel it mid-query: a cancelled query can leave
        # its pooled asyncpg connection checked out, and disconnecting then waits for it forever.
        # A job still running after the grace is cancelled; its lease lapses and another process
        # runs it again (emails already handed to SMTP are not sent again: portal.mail.sender).
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
                await run_due_jobs(self._db, self._settings, self._assembly, stop=lambda: self._stopping)
            except (StorageFull, DatabaseUnavailable):
                pass  # the database layer logs these once a minute (portal.faults.StorageHealth)
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


class KickJobsMiddleware:
    """Wake the job loop after any request that enqueued work, once its response is sent.

    Every job is added through queries.enqueue(), which notes its kind for this request: so work
    enqueued deep inside a domain's queries (notify() adds email jobs) wakes the loop without any
    route having to ask.
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
