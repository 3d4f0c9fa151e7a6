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


# Candidates read per claim on SQLite: enough that a few runners racing for the same rows find one.
_CANDIDATES = 5


def _due(now: datetime) -> Any:
    """Jobs that may be claimed at `now`: unfinished, due, and not leased (or the lease lapsed)."""
    return sa.and_(
        jobs.c.finished_at.is_(None),
        jobs.c.run_at <= now,
        sa.or_(jobs.c.locked_until.is_(None), jobs.c.locked_until < now),
    )


async def claim_next_job(db: Database, *, now: datetime, lease: timedelta, token: str) -> Any | None:
    """Take the next due job for the caller until `now + lease`, under `token`; None when none is due.

    A job whose lease lapsed (its process died or stopped renewing) is due again. PostgreSQL skips
    the rows another transaction is claiming (FOR UPDATE SKIP LOCKED); on SQLite, where writers
    take turns, the claim is an UPDATE that only succeeds if the job is still claimable
    (compare-and-set on the lease), so two processes never both get it.
    """
    claim = dict(locked_until=now + lease, lease_token=token, attempts=jobs.c.attempts + 1)
    order = (jobs.c.run_at, jobs.c.id)
    if not db.is_sqlite:
        next_due = sa.select(jobs.c.id).where(_due(now)).order_by(*order).limit(1).with_for_update(skip_locked=True)
        return await db.fetch_one(
            jobs.update().where(jobs.c.id == next_due.scalar_subquery()).values(**claim).returning(jobs)
        )
    candidates = await db.fetch_all(sa.select(jobs.c.id).where(_due(now)).order_by(*order).limit(_CANDIDATES))
    for candidate in candidates:
        claimed = await db.fetch_one(
            jobs.update().where(jobs.c.id == candidate["id"], _due(now)).values(**claim).returning(jobs)
        )
        if claimed is not None:
            return claimed
    return None


async def renew_lease(db: Database, job_id: int, *, token: str, until: datetime) -> bool:
    """Extend a running job's lease; False when the caller no longer holds it (another process took it)."""
    renewed = await db.fetch_one(
        jobs.update()
        .where(jobs.c.id == job_id, jobs.c.lease_token == token, jobs.c.finished_at.is_(None))
        .values(locked_until=until)
        .returning(jobs.c.id)
    )
    return renewed is not None


async def _settle(db: Database, job_id: int, token: str, **values: Any) -> bool:
    """Write what became of a job, if the caller still holds its lease (False: someone else does)."""
    settled = await db.fetch_one(
        jobs.update()
        .where(jobs.c.id == job_id, jobs.c.lease_token == token)
        .values(locked_until=None, lease_token=None, **values)
        .returning(jobs.c.id)
    )
    return settled is not None


async def finish_job(db: Database, job_id: int, *, token: str, now: datetime) -> bool:
    return await _settle(db, job_id, token, finished_at=now, unique_key=None, last_error=None)


async def retry_job(db: Database, job_id: int, *, token: str, run_at: datetime, error: str) -> bool:
    return await _settle(db, job_id, token, run_at=run_at, last_error=error[:2000])


async def fail_job(db: Database, job_id: int, *, token: str, now: datetime, error: str) -> bool:
    return await _settle(db, job_id, token, finished_at=now, failed=True, unique_key=None, last_error=error[:2000])


async def list_jobs(db: Database, *, failed_only: bool = False, limit: int = 100) -> list[Any]:
    """The most recent jobs, newest first, for admins and the CLI."""
    query = sa.select(jobs).order_by(jobs.c.id.desc()).limit(limit)
    if failed_only:
        query = query.where(jobs.c.failed.is_(True))
    return await db.fetch_all(query)
