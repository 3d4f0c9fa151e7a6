"""`roundtable serve --workers N` keeps N workers: one slow to start is not killed, one killed is replaced.

Tested through the real server in its own process group, with workers made slow to start by a
sitecustomize module that only this test puts on the path (no hook in the portal's code).
"""

import contextlib
import os
import re
import signal

import httpx
import psutil

from tests.servers import serving
from tests.waiting import until_sync

START_DELAY = 10  # seconds: twice uvicorn's own health-check deadline

# Runs in every Python process of the server: sleeps in each worker before it does anything, whether
# the supervisor forks its workers (gunicorn) or spawns them (multiprocessing, as uvicorn does).
SLOW_START = f"""
import os, sys, time

def _start_slowly():
    time.sleep({START_DELAY})

os.register_at_fork(after_in_child=_start_slowly)
if "--multiprocessing-fork" in sys.orig_argv:
    _start_slowly()
"""


def poll(condition, what: str, seconds: float = 120):
    """What `condition()` gives once it is true, tried until a deadline that grows with the load."""
    return until_sync(condition, within=seconds, what=what, every=0.1, scaled=True)


def workers_of(server) -> set[int]:
    workers = set()
    for child in psutil.Process(server.process.pid).children():
        with contextlib.suppress(psutil.NoSuchProcess):  # a worker that died since the listing
            if child.status() != psutil.STATUS_ZOMBIE:
                workers.add(child.pid)
    return workers


def replaced(server, victim: int) -> set[int] | None:
    """The two workers once `victim` is replaced, from one reading (two readings could see the
    victim still alive, then neither it nor its replacement)."""
    workers = workers_of(server)
    return workers if len(workers) == 2 and victim not in workers else None


def started(server) -> set[int]:
    """Workers that logged the end of their app's start-up (gunicorn puts each worker's pid in its lines)."""
    return {int(pid) for pid in re.findall(r"\[(\d+)\] \[INFO\] Application startup complete", server.output())}


def test_a_worker_slow_to_start_is_not_killed_and_a_killed_worker_is_replaced(database_url, tmp_path):
    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "sitecustomize.py").write_text(SLOW_START)
    with serving(database_url, tmp_path / "data", workers=2, PYTHONPATH=str(slow), LOG_LEVEL="info") as server:
        first = workers_of(server)
        assert len(first) == 2, server.output()
        poll(lambda: first <= started(server), "both workers to start")
        assert workers_of(server) == first, server.output()  # none was killed while it started
        assert "TIMEOUT" not in server.output()

        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        (replacement,) = poll(lambda: replaced(server, victim), "a replacement worker") - first
        poll(lambda: replacement in started(server), "the replacement to start")
        assert workers_of(server) == {replacement, *first} - {victim}
        for _ in range(10):
            assert httpx.get(server.url + "/signin", timeout=30).status_code == 200
