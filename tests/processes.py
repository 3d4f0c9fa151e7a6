"""Processes the tests start, and the check that none outlives the run.

Each process starts in its own session (so in its own process group) with its output in a file:
stopping it signals the whole group, so workers it forked stop with it, and reading what it
printed never waits on a pipe that a forgotten grandchild holds open. Deadlines grow with the
machine's load: on a busy machine a server takes longer to start without being broken.

Loaded as a pytest plugin (tests/conftest.py): at the end of the run, each test process (each
xdist worker) looks for processes the tests left running, stops them, and fails the run naming them.
"""

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
import pytest

from tests.waiting import poll

STOP_GRACE = 10.0  # seconds between SIGTERM to a group and SIGKILL
READY_SECONDS = 60.0  # a server's start budget on an idle machine, scaled by load_factor()

_groups: list[int] = []  # the process groups this test process started
# In the environment of every process started here and inherited by what they start: a group id
# can be reused by an unrelated process once the group is gone (pid_max is 32768 here).
MARK = "ROUNDTABLE_TEST_PROCESS"
_mark = f"{os.getpid()}-{uuid.uuid4().hex}"


def load_factor() -> float:
    """How much slower than idle the machine runs now: the load per CPU, at least 1, at most 10."""
    return min(10.0, max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1)))


@contextmanager
def started(
    args: Sequence[str],
    *,
    log: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    grace: float = STOP_GRACE,
) -> Iterator[subprocess.Popen]:
    """Run `args` in a new session, output (stdout and stderr) to the file `log`; on leaving, stop its group."""
    process = launch(args, log=log, env=env, cwd=cwd)
    try:
        yield process
    finally:
        stop(process, grace=grace)


def launch(
    args: Sequence[str], *, log: Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen:
    """Start `args` in a new session and remember its group; the caller stops it (prefer `started`)."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            args,
            env=_marked(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _groups.append(process.pid)
    return process


def run(
    args: Sequence[str],
    *,
    timeout: float,
    input: bytes | str | None = None,
    check: bool = False,
    capture_output: bool = False,
    **popen_kwargs,
) -> subprocess.CompletedProcess:
    """subprocess.run in a new session: on timeout (scaled by load) its whole group is killed, then it raises."""
    if capture_output:
        popen_kwargs.update(stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if input is not None:
        popen_kwargs["stdin"] = subprocess.PIPE
    popen_kwargs["env"] = _marked(popen_kwargs.get("env"))
    with subprocess.Popen(args, start_new_session=True, **popen_kwargs) as process:
        _groups.append(process.pid)
        try:
            output, errors = process.communicate(input, timeout=timeout * load_factor())
        except BaseException:
            stop(process, grace=0)
            raise
    if check and process.returncode:
        raise subprocess.CalledProcessError(process.returncode, args, output, errors)
    return subprocess.CompletedProcess(args, process.returncode, output, errors)


def _marked(env: dict[str, str] | None) -> dict[str, str]:
    return {**(os.environ if env is None else env), MARK: _mark}


def _ours(candidate: psutil.Process) -> bool:
    return candidate.environ().get(MARK) == _mark


def group_members(group: int) -> list[psutil.Process]:
    """The live processes of a process group this test process started (zombies are dead: only their
    parent's reaping is left)."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return []
    except PermissionError:
        pass
    members = []
    for candidate in psutil.process_iter():
        try:
            if os.getpgid(candidate.pid) == group and candidate.status() != psutil.STATUS_ZOMBIE and _ours(candidate):
                members.append(candidate)
        except (ProcessLookupError, psutil.Error):
            continue
    return members


def stop(process: subprocess.Popen, *, grace: float = STOP_GRACE) -> None:
    """SIGTERM to the process's whole group; SIGKILL to whatever is left `grace` seconds (scaled by load) later."""
    group = process.pid
    _signal_group(process, signal.SIGTERM)
    if not poll(lambda: not _still_running(process, group), within=grace, scaled=True):
        _signal_group(process, signal.SIGKILL)
        poll(lambda: not _still_running(process, group), within=10)
    process.wait(timeout=10)
    if group_members(group):
        raise AssertionError(f"process group {group} survived SIGKILL: {group_members(group)}")


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    if process.returncode is None:  # the leader is not reaped: its id, so the group's, is not reused yet
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            pass
        return
    for member in group_members(process.pid):
        try:
            member.send_signal(signum)  # psutil checks that the id still names the same process
        except psutil.Error:
            continue


def _still_running(process: subprocess.Popen, group: int) -> bool:
    process.poll()  # reaps the leader once it exits, so that it is not counted as a member
    return bool(group_members(group))


def wait_until_answering(process: subprocess.Popen, url: str, *, log: Path, seconds: float = READY_SECONDS) -> None:
    """Poll `url` until it gives any HTTP answer, as long as `process` lives, for `seconds` times the load factor."""
    began = time.monotonic()

    def answering() -> bool:
        try:
            httpx.get(url, timeout=2)
            return True
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise AssertionError(f"{url} stopped (exit {process.returncode}) before answering:\n{_tail(log)}")
        return False

    if not poll(answering, within=seconds, every=0.1, scaled=True):
        waited = time.monotonic() - began
        raise AssertionError(f"{url} did not answer within {waited:.0f} s:\n{_tail(log)}")


def _tail(log: Path, size: int = 20_000) -> str:
    return log.read_bytes()[-size:].decode(errors="replace") if log.exists() else "(no output)"


def left_running() -> list[psutil.Process]:
    """Processes this test process started, directly or in a group it started, that are still alive."""
    found = {}
    for child in psutil.Process().children(recursive=True):
        found[child.pid] = child
    for group in _groups:
        for member in group_members(group):
            found[member.pid] = member
    alive = []
    for candidate in found.values():
        try:
            if candidate.status() != psutil.STATUS_ZOMBIE:
                alive.append(candidate)
        except psutil.Error:
            continue
    return alive


def describe(process: psutil.Process) -> str:
    try:
        return f"{process.pid}: {' '.join(process.cmdline())[:200]}"
    except psutil.Error:
        return f"{process.pid}: (gone)"


def kill(leftovers: list[psutil.Process]) -> None:
    for leftover in leftovers:
        try:
            leftover.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(leftovers, timeout=10)


_from_workers: list[str] = []


def _is_xdist_controller(config: pytest.Config) -> bool:
    return config.pluginmanager.has_plugin("dsession")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if _is_xdist_controller(config):
        leftovers = list(_from_workers)  # the workers checked their own processes
    else:
        found = left_running()
        leftovers = [describe(process) for process in found]
        kill(found)
        if hasattr(config, "workerinput"):
            config.workeroutput["processes_left_running"] = leftovers
            return
    if leftovers:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_sep("=", "processes left running by the tests (now killed)", red=True)
            for line in leftovers:
                reporter.write_line(line, red=True)
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    _from_workers.extend(getattr(node, "workeroutput", {}).get("processes_left_running", []))
