"""The test harness itself: processes stopped with everything they started, the end-of-run check,
and a run that covers the databases it says it covers."""

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests import processes
from tests.servers import free_port
from tests.waiting import until_sync

REPO = Path(__file__).resolve().parent.parent

# Ignores SIGTERM, starts a child that ignores it too and shares its output, never listens.
STUBBORN_SERVER = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('child up', flush=True)"
child = subprocess.Popen([sys.executable, "-c", stubborn + "; time.sleep(3600)"])
print("server", child.pid, flush=True)
time.sleep(3600)
"""


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def poll(condition, seconds: float = 30) -> None:
    until_sync(condition, within=seconds, what="the condition", scaled=True)


def test_a_server_that_never_answers_is_stopped_with_its_child_within_the_deadline(tmp_path):
    log = tmp_path / "server.log"
    began = time.monotonic()
    with pytest.raises(AssertionError, match="did not answer within") as failure:
        with processes.started([sys.executable, "-c", STUBBORN_SERVER], log=log, grace=1) as server:
            poll(lambda: "child up" in log.read_text())
            child = psutil.Process(server.pid).children()[0].pid
            processes.wait_until_answering(server, f"http://127.0.0.1:{free_port()}/", log=log, seconds=2)
    took = time.monotonic() - began
    # What it printed is in the message, read while its child still held the output open.
    assert f"server {child}" in str(failure.value)
    assert gone(server.pid) and gone(child)
    assert not processes.group_members(server.pid)
    # Waiting (2 s), SIGTERM ignored for the grace (1 s), then SIGKILL: scaled by load, plus start-up.
    assert took < 3 * processes.load_factor() + 20


def test_a_server_that_exits_is_reported_at_once_with_what_it_printed(tmp_path):
    log = tmp_path / "server.log"
    script = "import sys; print('cannot bind', flush=True); sys.exit(3)"
    with pytest.raises(AssertionError, match=r"stopped \(exit 3\) before answering:\ncannot bind"):
        with processes.started([sys.executable, "-c", script], log=log) as server:
            processes.wait_until_answering(server, f"http://127.0.0.1:{free_port()}/", log=log, seconds=600)


def test_a_command_past_its_timeout_is_killed_with_the_child_holding_its_pipe():
    script = (
        "import subprocess, sys, time;"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(3600)']);"
        "print(child.pid, flush=True); time.sleep(3600)"
    )
    began = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        processes.run([sys.executable, "-c", script], capture_output=True, timeout=2)
    assert time.monotonic() - began < 2 * processes.load_factor() + 15
    assert not processes.group_members(processes._groups[-1])


LEAKY_TESTS = """
import subprocess, sys
from tests import processes

ORPHAN = (
    "import os, subprocess, sys;"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(3600)']);"
    "open(sys.argv[1], 'w').write(str(child.pid))"
)

def test_loses_a_server_whose_worker_outlives_it(tmp_path):
    server = processes.launch([sys.executable, "-c", ORPHAN, "{orphan}"], log=tmp_path / "log")
    server.wait()

def test_forgets_a_child():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    open("{child}", "w").write(str(child.pid))
"""


@pytest.mark.parametrize("workers", ["0", "2"])
def test_the_run_fails_naming_each_process_the_tests_left_running_and_kills_it(pytester, monkeypatch, workers):
    orphan, child = pytester.path / "orphan.pid", pytester.path / "child.pid"
    pytester.makepyfile(test_leaky=LEAKY_TESTS.format(orphan=orphan, child=child))
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    result = pytester.runpytest_subprocess("-p", "tests.processes", "-n", workers, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*processes left running by the tests (now killed)*"])
    for pid in (int(orphan.read_text()), int(child.read_text())):
        result.stdout.fnmatch_lines([f"{pid}: *time.sleep(3600)*"])
        assert gone(pid)


def collected(**environ: str) -> str:
    """What `pytest --collect-only` says about one database test file, run in a fresh process."""
    env = {key: value for key, value in os.environ.items() if key != "TEST_DATABASE_URL"} | environ
    command = [sys.executable, "-m", "pytest", "--collect-only", "-n", "0", "-p", "no:cacheprovider"]
    finished = processes.run(
        [*command, "tests/portal/test_routes.py"], cwd=REPO, env=env, capture_output=True, timeout=120
    )
    assert finished.returncode == 0, finished.stdout.decode() + finished.stderr.decode()
    return finished.stdout.decode()


def test_a_run_without_postgresql_has_no_postgresql_variants_and_says_so_at_the_start():
    report = collected()
    assert "databases this run covers: SQLite only" in report.split("collected")[0]
    assert "[sqlite]" in report and "postgresql" not in report.split("collected")[1]


def test_a_run_with_postgresql_has_both_variants_of_each_database_test():
    report = collected(TEST_DATABASE_URL="postgresql://nobody@127.0.0.1:1/never-reached")
    assert "databases this run covers: SQLite and PostgreSQL" in report
    listed = report.split("collected")[1]
    assert listed.count("[sqlite]") == listed.count("[postgresql]") > 0
