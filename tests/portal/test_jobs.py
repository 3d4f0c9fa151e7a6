"""Work after the response: jobs enqueued with the rows that need them, run once, retried, recorded."""

import asyncio
from datetime import timedelta

import pytest

from portal.app import create_app
from portal.db import utcnow
from portal.jobs.queries import enqueue, list_jobs
from portal.jobs.runner import PermanentFailure, job, run_due_jobs
from tests.conftest import make_settings
from tests.portal.test_cli import run

calls: list[tuple[str, dict]] = []


@job("test-ok")
async def succeed(context, payload):
    calls.append(("test-ok", payload))


@job("test-flaky", max_attempts=3, first_retry=timedelta(seconds=30))
async def fail_until_told(context, payload):
    calls.append(("test-flaky", payload))
    raise ConnectionError("the receiver hung up")


@job("test-hopeless")
async def give_up(context, payload):
    raise PermanentFailure("the address was refused")


@job("test-slow")
async def take_time(context, payload):
    await asyncio.sleep(0.01)
    calls.append(("test-slow", payload))


@pytest.fixture(autouse=True)
def forget_calls():
    calls.clear()


async def test_a_job_lands_only_with_the_transaction_that_enqueued_it(db, settings):
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await enqueue(db, "test-ok", {"n": 1})
            raise RuntimeError("the write that needed the job failed")
    async with db.transaction():
        await enqueue(db, "test-ok", {"n": 2})

    report = await run_due_jobs(db, settings)

    assert calls == [("test-ok", {"n": 2})]
    assert (report.done, report.retried, report.failed) == (1, 0, 0)
    assert (await run_due_jobs(db, settings)).total == 0


async def test_a_failing_job_is_retried_later_with_backoff_then_recorded_as_failed(db, settings, cli_env):
    start = utcnow()
    await enqueue(db, "test-flaky", {"to": "receiver"}, run_at=start)

    first = await run_due_jobs(db, settings, now=start)
    too_early = await run_due_jobs(db, settings, now=start + timedelta(seconds=29))
    second = await run_due_jobs(db, settings, now=start + timedelta(seconds=31))
    before_third = await run_due_jobs(db, settings, now=start + timedelta(seconds=31 + 119))
    third = await run_due_jobs(db, settings, now=start + timedelta(seconds=31 + 121))

    assert [first.retried, too_early.total, second.retried, before_third.total, third.failed] == [1, 0, 1, 0, 1]
    assert len(calls) == 3
    [row] = await list_jobs(db, failed_only=True)
    assert row["attempts"] == 3 and row["last_error"] == "ConnectionError: the receiver hung up"
    listing = await asyncio.to_thread(run, cli_env, "jobs", "list", "--failed")
    assert listing.exit_code == 0 and "test-flaky\tfailed\tattempts 3  ConnectionError" in listing.output


async def test_a_permanent_failure_and_an_unknown_kind_fail_at_once(db, settings):
    await enqueue(db, "test-hopeless", {})
    await enqueue(db, "no-such-kind", {})

    report = await run_due_jobs(db, settings)

    assert report.failed == 2
    errors = sorted(row["last_error"] for row in await list_jobs(db, failed_only=True))
    assert errors == ["PermanentFailure: the address was refused", "no handler for jobs of kind 'no-such-kind'"]


async def test_one_unfinished_job_per_unique_key(db, settings):
    assert await enqueue(db, "test-ok", {"day": 1}, unique_key="digest:ada:2026-11-22")
    assert not await enqueue(db, "test-ok", {"day": 2}, unique_key="digest:ada:2026-11-22")
    await run_due_jobs(db, settings)
    assert await enqueue(db, "test-ok", {"day": 3}, unique_key="digest:ada:2026-11-22")
    await run_due_jobs(db, settings)
    assert calls == [("test-ok", {"day": 1}), ("test-ok", {"day": 3})]


async def test_runners_working_at_once_run_each_job_exactly_once(db, settings):
    for number in range(45):
        await enqueue(db, "test-slow", {"n": number})

    reports = await asyncio.gather(*(run_due_jobs(db, settings) for _ in range(3)))

    assert sorted(payload["n"] for _, payload in calls) == list(range(45))
    assert sum(report.done for report in reports) == 45


async def test_the_server_runs_jobs_in_the_background_and_the_cli_runs_what_is_due(database_url, tmp_path, cli_env):
    app = create_app(make_settings(database_url, tmp_path, JOBS_INTERVAL="1"))
    async with app.router.lifespan_context(app):
        await enqueue(app.state.db, "test-ok", {"from": "server"})
        app.state.jobs.kick()
        for _ in range(100):
            if calls:
                break
            await asyncio.sleep(0.02)
        await enqueue(app.state.db, "test-ok", {"from": "cli"}, run_at=utcnow() + timedelta(hours=1))
    assert calls == [("test-ok", {"from": "server"})]

    result = await asyncio.to_thread(run, cli_env, "jobs", "run")
    assert result.exit_code == 0 and result.output == "0 done, 0 to retry later, 0 failed.\n"
