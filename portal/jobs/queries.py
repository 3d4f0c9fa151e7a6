"""Putting work in the jobs table and taking it out again, on both databases."""

from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from portal.db import Database, utcnow
from portal.jobs.tables import jobs

# Set by KickJobsMiddleware for the length of a request, so that it can wake the job loop once
# the response is out if the request enqueued anything (for instance through notify()).
enqueued_in_request: ContextVar[list[str] | None] = ContextVar("roundtable_enqueued_in_request", default=None)


async def enqueue(
    db: Database,
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    unique_key: str | None = None,
) -> bool:
    """Add a job; inside the caller's transaction it lands (or not) with the caller's rows.

    With a `unique_key` that an unfinished job already holds, nothing is added and this returns False.
    """
    now = utcnow()
    enqueued = enqueued_in_request.get()
    if enqueued is not None:
        enqueued.append(kind)
    statement = db.insert(jobs).values(
        kind=kind, payload=payload, unique_key=unique_key, run_at=run_at or now, created_at=now
    )
    if unique_key is None:
        await db.execute(statement)
        return True
    inserted = await db.fetch_one(statement.on_conflict_do_nothing(index_elements=["unique_key"]).returning(jobs.c.id))
    return inserted is not None


async def claim_due_jobs(db: Database, *, now: datetime, lease: timedelta, limit: int) -> list[Any]:
    """Take up to `limit` due jobs for this process until `now + lease`; other processes skip them."""
    due = (
        sa.select(jobs.c.id)
        .where(
            jobs.c.finished_at.is_(None),
            jobs.c.run_at <= now,
            sa.or_(jobs.c.locked_until.is_(None), jobs.c.locked_until < now),
        )
        .order_by(jobs.c.run_at, jobs.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    async with db.transaction():
        ids = [row["id"] for row in await db.fetch_all(due)]
        if not ids:
            return []
        return await db.fetch_all(
            jobs.update()
            .where(jobs.c.id.in_(ids))
            .values(locked_until=now + lease, attempts=jobs.c.attempts + 1)
            .returning(jobs)
        )


async def release_jobs(db: Database, job_ids: list[int]) -> None:
    """Give back claimed jobs that were not run, as if never claimed."""
    if job_ids:
        await db.execute(
            jobs.update().where(jobs.c.id.in_(job_ids)).values(locked_until=None, attempts=jobs.c.attempts - 1)
        )


async def finish_job(db: Database, job_id: int, *, now: datetime) -> None:
    await db.execute(
        jobs.update()
        .where(jobs.c.id == job_id)
        .values(finished_at=now, locked_until=None, unique_key=None, last_error=None)
    )


async def retry_job(db: Database, job_id: int, *, run_at: datetime, error: str) -> None:
    await db.execute(
        jobs.update().where(jobs.c.id == job_id).values(run_at=run_at, locked_until=None, last_error=error[:2000])
    )


async def fail_job(db: Database, job_id: int, *, now: datetime, error: str) -> None:
    await db.execute(
        jobs.update()
        .where(jobs.c.id == job_id)
        .values(finished_at=now, failed=True, locked_until=None, unique_key=None, last_error=error[:2000])
    )


async def list_jobs(db: Database, *, failed_only: bool = False, limit: int = 100) -> list[Any]:
    """The most recent jobs, newest first, for admins and the CLI."""
    query = sa.select(jobs).order_by(jobs.c.id.desc()).limit(limit)
    if failed_only:
        query = query.where(jobs.c.failed.is_(True))
    return await db.fetch_all(query)
