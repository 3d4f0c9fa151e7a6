"""Rate limits when their Redis hangs (SIGSTOP) or dies: sign-in answers within the bound, the
log warns once, and the counts come back with Redis."""

import asyncio
import logging
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

from portal.app import create_app
from tests.apps import make_settings
from tests.people import PASSWORD, Person
from tests.servers import free_port
from tests.waiting import until, until_sync

TIMEOUT_MS = 200
# What a sign-in may take beyond the bound here: hashing, the database, a loaded 2-core machine.
MARGIN = 1.5


@contextmanager
def redis_server() -> Iterator[tuple[subprocess.Popen, int]]:
    """A redis-server of the test's own on a free loopback port, in a process group of its own."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:

        def answering() -> bool:
            try:
                return redis.Redis(port=port, socket_timeout=1).ping()
            except redis.ConnectionError:
                assert server.poll() is None, "redis-server did not start"
                return False

        until_sync(answering, within=10, what="redis-server to start")
        yield server, port
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)  # works on a stopped process too
        server.wait(10)


async def timed_sign_in(app, login: str, password: str) -> tuple[int, float]:
    async with Person.browsing(app) as someone:
        await someone.get("/signin")
        started = time.monotonic()
        # Without a bound of the app's own this would hang: fail the test instead.
        response = await asyncio.wait_for(someone.post("/signin", {"login": login, "password": password}), 10)
        return response.status_code, time.monotonic() - started


def warnings_in(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING and "rate limits" in record.getMessage()
    ]


async def test_a_stopped_redis_lets_sign_in_through_within_the_bound_and_counts_again_when_it_wakes(
    database_url, tmp_path, caplog
):
    caplog.set_level(logging.INFO, logger="roundtable")
    with redis_server() as (server, port):
        settings = make_settings(
            database_url,
            tmp_path,
            RATE_LIMITS="true",
            REDIS_URL=f"redis://127.0.0.1:{port}/0",
            RATE_LIMIT_TIMEOUT=str(TIMEOUT_MS),
        )
        app = create_app(settings)
        prefix = f"roundtable-test-{uuid.uuid4().hex}"
        app.state.limiter.prefix = prefix
        app.state.limiter.retry_after_failure = 0.5  # so that the test sees it come back soon
        counts = redis.Redis(port=port, socket_timeout=2)
        async with app.router.lifespan_context(app):
            await Person.create(app, "ada")
            assert (await timed_sign_in(app, "ada", PASSWORD))[0] == 303
            assert counts.keys(f"*{prefix}*")  # counted in Redis

            os.killpg(server.pid, signal.SIGSTOP)
            try:
                for attempt in range(4):
                    status, took = await timed_sign_in(app, "ada", PASSWORD if attempt % 2 else "wrong")
                    assert status == (303 if attempt % 2 else 400)
                    assert took < TIMEOUT_MS / 1000 * 2 + MARGIN, f"sign-in took {took:.2f} s with Redis stopped"
                assert len(warnings_in(caplog)) == 1, warnings_in(caplog)
            finally:
                os.killpg(server.pid, signal.SIGCONT)

            counts.flushall()

            async def counting_again() -> bool:
                if counts.keys(f"*{prefix}*"):
                    return True
                assert (await timed_sign_in(app, "ada", "wrong"))[0] == 400
                return False

            await until(counting_again, within=15, every=0.2, what="the limits to count again once Redis answered")
            assert "rate limits counted again" in caplog.text
            statuses = [(await timed_sign_in(app, "ada", "wrong"))[0] for _ in range(40)]
            assert 429 in statuses  # counted again: the limits stop a guesser

            caplog.clear()
            server.kill()
            server.wait(10)
            app.state.limiter._failed_until = 0.0  # as if the backoff had passed
            for _ in range(3):
                status, took = await timed_sign_in(app, "ada", PASSWORD)
                assert status == 303 and took < TIMEOUT_MS / 1000 * 2 + MARGIN
            assert len(warnings_in(caplog)) == 1, warnings_in(caplog)
