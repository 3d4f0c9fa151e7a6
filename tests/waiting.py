"""Waiting for something to happen: poll a condition until a deadline, never sleep a fixed time.

A test that sleeps "long enough" is slow on a quiet machine and flaky on a busy one; these helpers
return as soon as the condition holds and fail with what was awaited when the deadline passes.
Deadlines grow with the machine's load (tests/processes.py's `load_factor`) when `scaled` is true.
This module and tests/processes.py are the only places in tests/ that call `sleep` between polls
(tests/test_test_style.py checks it).
"""

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any


def _deadline(within: float, scaled: bool) -> float:
    if scaled:
        from tests.processes import load_factor

        within *= load_factor()
    return time.monotonic() + within


def poll(condition: Callable[[], Any], *, within: float, every: float = 0.05, scaled: bool = False) -> Any:
    """What `condition()` gives once it is true, or its last (false) answer when `within` seconds pass."""
    deadline = _deadline(within, scaled)
    while not (answer := condition()) and time.monotonic() < deadline:
        time.sleep(every)
    return answer


def until_sync(condition: Callable[[], Any], *, within: float, what: str, every: float = 0.05, scaled: bool = False):
    """What `condition()` gives once it is true; fails the test, naming `what`, after `within` seconds."""
    answer = poll(condition, within=within, every=every, scaled=scaled)
    assert answer, f"waited {within} s for {what}"
    return answer


async def until(
    condition: Callable[[], Any], *, within: float, what: str, every: float = 0.02, scaled: bool = False
) -> Any:
    """Poll `condition` (a function, or one returning an awaitable) until it is true, for at most
    `within` seconds; what it gives, or the test fails naming `what`."""
    deadline = _deadline(within, scaled)
    while True:
        answer = condition()
        if inspect.isawaitable(answer):
            answer = await answer
        if answer:
            return answer
        assert time.monotonic() < deadline, f"waited {within} s for {what}"
        await asyncio.sleep(every)
