"""Work after the response: jobs enqueued with the rows that need them, run once, retried, recorded.

Several runners (server processes) share the jobs table: each claims one job at a time under a
short lease that it renews while the job runs; a runner that stops mid-job leaves the job to
another once its lease lapses, and a runner that loses its lease stops the job.
"""

import asyncio
import dataclasses
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.app import DOMAINS, create_app
from portal.db import Database, utcnow
from portal.domains import Assembly, Domain
from portal.faults import DatabaseUnavailable, StorageFull
from portal.jobs.queries import enqueue, list_jobs
from portal.jobs.runner import JobKind, JobLoop, PermanentFailure, run_due_jobs
from portal.jobs.tables import jobs
from portal.settings import Settings, SettingsError
from tests.apps import make_settings
from tests.commands import run
from tests.people import Person
from tests.portal.jobs.runners import HEARTBEAT, LEASE, Runner, runners, stop
from tests.waiting import until

calls: list[tuple[str, dict]] = []


async def succeed(context, payload):
    calls.append(("test-ok", payload))


async def fail_until_told(context, payload):
    calls.append(("test-flaky", payload))
    raise ConnectionError("the receiver hung up")


async def give_up(context, payload):
    raise PermanentFailure("the address was refused")


async def take_time(context, payload):
    await asyncio.sleep(0.01)
    calls.append(("test-slow", payload))


running: list[int] = []  # how many runs of test-long are under way, after each start
stuck: list[dict] = []


async def take_three_leases(context, payload):
    running.append(len(running) and running[-1] + 1 or 1)
    try:
        await asyncio.sleep(3 * LEASE)
    finally:
        running.append(running[-1] - 1)
    calls.append(("test-long", payload))


async def hang_the_first_time(context, payload):
    stuck.append(payload)
    if len(stuck) == 1:
        await asyncio.Event().wait()  # until the runner is stopped
    calls.append(("test-stuck-once", payload))


# The jobs under test, as a domain would list them.
TEST_DOMAIN = Domain(
    "jobs under test",
    jobs={
        "test-ok": JobKind(succeed),
        "test-flaky": JobKind(fail_until_told, max_attempts=3, first_retry=timedelta(seconds=30)),
        "test-hopeless": JobKind(give_up),
        "test-slow": JobKind(take_time),
        "test-long": JobKind(take_three_leases),
        "test-stuck-once": JobKind(hang_the_first_time),
    },
)
# The whole app's jobs and those under test.
TEST_JOBS = Assembly.of([*DOMAINS, TEST_DOMAIN])


@pytest.fixture(autouse=True)
def forget_calls():
    calls.clear()
    running.clear()
    stuck.clear()


async def test_a_job_lands_only_with_the_transaction_that_enqueued_it(db, settings):
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await enqueue(db, "test-ok", {"n": 1})
            raise RuntimeError("the write that needed the job failed")
    async with db.transaction():
        await enqueue(db, "test-ok", {"n": 2})

    report = await run_due_jobs(db, settings, TEST_JOBS)

    assert calls == [("test-ok", {"n": 2})]
    assert (report.done, report.retried, report.failed) == (1, 0, 0)
    assert (await run_due_jobs(db, settings, TEST_JOBS)).total == 0


async def test_a_failing_job_is_retried_later_with_backoff_then_recorded_as_failed(db, settings, cli_env):
    start = utcnow()
    await enqueue(db, "test-flaky", {"to": "receiver"}, run_at=start)

    first = await run_due_jobs(db, settings, TEST_JOBS, now=start)
    too_early = await run_due_jobs(db, settings, TEST_JOBS, now=start + timedelta(seconds=29))
    second = await run_due_jobs(db, settings, TEST_JOBS, now=start + timedelta(seconds=31))
    before_third = await run_due_jobs(db, settings, TEST_JOBS, now=start + timedelta(seconds=31 + 119))
    third = await run_due_jobs(db, settings, TEST_JOBS, now=start + timedelta(seconds=31 + 121))

    assert [first.retried, too_early.total, second.retried, before_third.total, third.failed] == [1, 0, 1, 0, 1]
    assert len(calls) == 3
    [row] = await list_jobs(db, failed_only=True)
    assert row["attempts"] == 3 and row["last_error"] == "ConnectionError: the receiver hung up"
    listing = await asyncio.to_thread(run, cli_env, "jobs", "list", "--failed")
    assert listing.exit_code == 0 and "test-flaky\tfailed\tattempts 3  ConnectionError" in listing.output


async def test_a_permanent_failure_and_an_unknown_kind_fail_at_once(db, settings):
    await enqueue(db, "test-hopeless", {})
    await enqueue(db, "no-such-kind", {})

    report = await run_due_jobs(db, settings, TEST_JOBS)

    assert report.failed == 2
    errors = sorted(row["last_error"] for row in await list_jobs(db, failed_only=True))
    assert errors == ["PermanentFailure: the address was refused", "no handler for jobs of kind 'no-such-kind'"]


async def test_one_unfinished_job_per_unique_key(db, settings):
    assert await enqueue(db, "test-ok", {"day": 1}, unique_key="digest:ada:2026-11-22")
    assert not await enqueue(db, "test-ok", {"day": 2}, unique_key="digest:ada:2026-11-22")
    await run_due_jobs(db, settings, TEST_JOBS)
    assert await enqueue(db, "test-ok", {"day": 3}, unique_key="digest:ada:2026-11-22")
    await run_due_jobs(db, settings, TEST_JOBS)
    assert calls == [("test-ok", {"day": 1}), ("test-ok", {"day": 3})]


async def test_runners_working_at_once_run_each_job_exactly_once(database_url, tmp_path):
    async with runners(database_url, tmp_path, assembly=TEST_JOBS) as (first, second):
        for number in range(45):
            await enqueue(first.db, "test-slow", {"n": number})

        # Two processes on the same database, each with two loops at once.
        reports = await asyncio.gather(first.run(), second.run(), first.run(), second.run())

    assert sorted(payload["n"] for _, payload in calls) == list(range(45))
    assert sum(report.done for report in reports) == 45


async def test_a_runner_stopped_mid_job_leaves_it_to_another_once_its_lease_lapses(database_url, tmp_path):
    async with runners(database_url, tmp_path, assembly=TEST_JOBS) as (first, second):
        await enqueue(first.db, "test-stuck-once", {"n": 1})
        await enqueue(first.db, "test-ok", {"n": 2})
        dying = asyncio.create_task(first.run())
        await until(lambda: stuck, within=10, what="the first runner to start the job")
        await stop(dying)  # its heartbeat stops with it, as when a process dies
        stopped = time.monotonic()

        # The second runner claims only what is free: the other job at once, the stuck one later.
        reports = [await second.run()]

        async def taken_over() -> bool:
            reports.append(await second.run())
            return reports[-1].done

        await until(taken_over, within=LEASE + 5, every=0.05, what="the stopped runner's job to be taken over")
        waited = time.monotonic() - stopped
        [row] = await first.db.fetch_all(sa.select(jobs).where(jobs.c.kind == "test-stuck-once"))

    print(f"\na stopped runner's job waited {waited:.2f} s (JOBS_LEASE={LEASE}, JOBS_HEARTBEAT={HEARTBEAT})")
    assert reports[0].done == 1 and calls[0] == ("test-ok", {"n": 2})
    # Not before the lease (renewed at most one heartbeat before the stop) lapsed, and soon after.
    assert LEASE - HEARTBEAT - 0.1 <= waited < LEASE + 2
    assert stuck == [{"n": 1}, {"n": 1}] and calls[1:] == [("test-stuck-once", {"n": 1})]
    assert row["attempts"] == 2 and row["finished_at"] is not None and row["lease_token"] is None


async def test_the_heartbeat_keeps_a_long_job_s_lease_and_no_other_runner_starts_it(database_url, tmp_path):
    async with runners(database_url, tmp_path, assembly=TEST_JOBS) as (first, second):
        await enqueue(first.db, "test-long", {"n": 1})
        long_run = asyncio.create_task(first.run())
        await until(lambda: running, within=10, what="the long job to start")
        leases = [await first.db.fetch_val(sa.select(jobs.c.locked_until))]
        taken_by_second = []

        async def long_job_done() -> bool:  # three leases long
            if long_run.done():
                return True
            taken_by_second.append((await second.run()).total)
            leases.append(await first.db.fetch_val(sa.select(jobs.c.locked_until)))
            return False

        await until(long_job_done, within=3 * LEASE + 30, every=0.05, what="the long job to finish")
        report = long_run.result()

    assert report.done == 1 and sum(taken_by_second) == 0
    assert max(running) == 1 and calls == [("test-long", {"n": 1})]
    renewed = [lease for lease in leases if lease is not None]
    assert renewed == sorted(renewed) and renewed[-1] - renewed[0] >= timedelta(seconds=LEASE)


async def test_a_runner_that_loses_its_lease_stops_the_job_and_records_nothing(database_url, tmp_path):
    async with runners(database_url, tmp_path, count=1, assembly=TEST_JOBS) as (first,):
        await enqueue(first.db, "test-long", {"n": 1})
        long_run = asyncio.create_task(first.run())
        await until(lambda: running, within=10, what="the long job to start")
        # Another process holds it now (as if this one had been cut off from the database too long).
        await first.db.execute(
            jobs.update().values(lease_token="elsewhere:1:abc", locked_until=utcnow() + timedelta(minutes=5))
        )
        taken = time.monotonic()
        report = await asyncio.wait_for(long_run, timeout=10)
        stopped_after = time.monotonic() - taken
        [row] = await first.db.fetch_all(sa.select(jobs))

    assert report.lost == 1 and report.done == 0 and calls == []
    assert running[-1] == 0 and stopped_after < HEARTBEAT + 1  # stopped at its next heartbeat
    assert row["lease_token"] == "elsewhere:1:abc" and row["finished_at"] is None and row["last_error"] is None


def test_a_heartbeat_no_shorter_than_the_lease_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="JOBS_HEARTBEAT"):
        Settings.from_environ({"DATA_DIR": str(tmp_path), "JOBS_LEASE": "10", "JOBS_HEARTBEAT": "10"})
    with pytest.raises(SettingsError, match="JOBS_LEASE"):
        Settings.from_environ({"DATA_DIR": str(tmp_path), "JOBS_LEASE": "0"})


async def test_the_server_runs_jobs_in_the_background_and_the_cli_runs_what_is_due(database_url, tmp_path, cli_env):
    app = create_app(make_settings(database_url, tmp_path, JOBS_INTERVAL="1"), domains=[*DOMAINS, TEST_DOMAIN])
    async with app.router.lifespan_context(app):
        await enqueue(app.state.db, "test-ok", {"from": "server"})
        app.state.jobs.kick()
        await until(lambda: calls, within=2, what="the server to run the job")
        await enqueue(app.state.db, "test-ok", {"from": "cli"}, run_at=utcnow() + timedelta(hours=1))
    assert calls == [("test-ok", {"from": "server"})]

    result = await asyncio.to_thread(run, cli_env, "jobs", "run")
    assert result.exit_code == 0 and result.output == "0 done, 0 to retry later, 0 failed.\n"


async def test_a_webhook_delivery_cut_off_mid_request_is_sent_again_with_the_same_idempotency_key(
    database_url, tmp_path, person, app
):
    from portal.webhooks import queries as webhook_queries
    from tests.portal.webhooks.receiver import Receiver

    ada = await person("ada", role="admin")
    async with (
        runners(database_url, tmp_path, assembly=TEST_JOBS) as (first, second),
        Receiver(answers=[None, 503]) as receiver,
    ):
        settings = make_settings(
            database_url,
            tmp_path,
            JOBS_LEASE=str(LEASE),
            JOBS_HEARTBEAT=str(HEARTBEAT),
            ALLOW_PRIVATE_URLS="true",
            WEBHOOK_TIMEOUT="30",
        )
        first, second = Runner(first.db, settings, TEST_JOBS), Runner(second.db, settings, TEST_JOBS)
        webhook_id = await webhook_queries.create_webhook(
            first.db, url=receiver.url, description="", events=["idea.created"], created_by_id=ada.id
        )
        secret = (await webhook_queries.get_webhook(first.db, webhook_id))["secret"]
        await ada.submit_idea("Webhooks that survive a crash")
        # The receiver takes the first request and never answers; the runner stops mid-request.
        dying = asyncio.create_task(first.run())
        await until(lambda: receiver.received, within=10, what="the first attempt to reach the receiver")
        await stop(dying)
        stopped = time.monotonic()

        async def sent_again() -> bool:
            if len(receiver.received) >= 2:
                return True
            await second.run()
            return False

        await until(sent_again, within=LEASE + 5, every=0.05, what="the stopped runner's delivery to be taken over")
        waited = time.monotonic() - stopped
        # That attempt was answered 503: the job's retry (two minutes later: its second attempt) sends it again.
        retried = await second.run(now=utcnow() + timedelta(minutes=3))
        [entry] = await webhook_queries.delivery_log(first.db, webhook_id)

    print(f"\na stopped runner's webhook delivery waited {waited:.2f} s")
    assert retried.done == 1 and len(receiver.received) == 3
    assert [attempt["status_code"] for attempt in entry["attempts"]] == [503, 200]
    keys = {received.headers["x-roundtable-delivery"] for received in receiver.received}
    assert len(keys) == 1 and {received.json["id"] for received in receiver.received} == keys
    assert all(received.signed_with(secret) for received in receiver.received)
    assert LEASE - HEARTBEAT - 0.1 <= waited < LEASE + 5


@pytest.mark.parametrize("fault", [DatabaseUnavailable, StorageFull])
async def test_the_job_loop_waits_out_a_database_fault_without_a_traceback_each_pass(
    settings, monkeypatch, caplog, fault
):
    """A database that does not answer, or a full disk, is logged once a minute by the database
    layer: the job loop, which meets it on every pass, adds no traceback of its own."""
    passes = 0

    async def failing(*args, **kwargs):
        nonlocal passes
        passes += 1
        raise fault("the database is away")

    monkeypatch.setattr("portal.jobs.runner.run_due_jobs", failing)
    loop = JobLoop(Database(settings.database_url), dataclasses.replace(settings, jobs_interval=0.01), TEST_JOBS)
    loop.start()
    try:
        await until(lambda: passes >= 5, within=30, what="five passes of the job loop")
    finally:
        await loop.stop()
    assert not [record for record in caplog.records if "running jobs failed" in record.getMessage()]


async def test_a_request_that_queued_work_wakes_the_loop_once_answered_and_one_that_queued_none_does_not(
    app, db, person, monkeypatch
):
    """No route asks for it: KickJobsMiddleware sees what the request enqueued (a status change
    emails the idea's followers; a git host's push queues a sync) and wakes the loop once."""
    from contributors import queries as repository_queries

    wakes = []
    monkeypatch.setattr(JobLoop, "kick", lambda loop: wakes.append(loop))
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    idea_id = await linus.submit_idea("Dark mode")
    wakes.clear()
    assert (await grace.post(f"/ideas/{idea_id}/vote", {"vote": "1"})).status_code == 303
    assert wakes == []
    changed = await grace.post(f"/ideas/{idea_id}/status", {"status": "planned", "note": "Next."})
    assert changed.status_code == 303 and wakes == [app.state.jobs]

    repository_id = await repository_queries.create_repository(
        db,
        url="https://example.org/x.git",
        url_key="example.org/x",
        kind="contribution",
        owner_id=linus.id,
        web_url=None,
        web_kind=None,
    )
    token = (await repository_queries.get_repository(db, repository_id))["webhook_token"]
    wakes.clear()
    async with Person.browsing(app) as git_host:
        pushed = await git_host.client.post(f"/hooks/repos/{repository_id}/{token}")
    assert pushed.status_code == 202 and wakes == [app.state.jobs]
