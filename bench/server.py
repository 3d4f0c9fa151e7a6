"""Starting the servers the benchmark drives, waiting for them, and measuring their memory."""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from source import Source

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
HOST = "127.0.0.1"
# The line that ends a Python traceback: the exception's dotted name and its message.
_EXCEPTION_LINE = r"^(?:[a-z_][\w]*\.)*[A-Z]\w*(?:Error|Exception|Disconnect|Exit|Timeout)\b.*$"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    """A server process on a free loopback port, stopped (with its workers) on exit."""

    def __init__(self, name: str, command: list[str], environment: dict[str, str], cwd: Path = PROJECT) -> None:
        self.name = name
        self._cwd = cwd
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self._command = [part.replace("{port}", str(self.port)) for part in command]
        self._environment = {**os.environ, **environment}
        self.process: subprocess.Popen | None = None
        # What the server prints goes to a file: tracebacks under load would bury the progress lines.
        self.log_path = BENCH / "data" / f"{name}-server.log"

    def __enter__(self) -> "Server":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("w") as log:
            # A session of its own, so that stopping it reaches the uvicorn workers too.
            self.process = subprocess.Popen(
                self._command, env=self._environment, cwd=self._cwd, start_new_session=True, stdout=log, stderr=log
            )
        self._wait_until_ready()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def _wait_until_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"The {self.name} server stopped with exit code {self.process.returncode}")
            try:
                if httpx.get(self.url + "/", timeout=5).status_code < 500:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise SystemExit(f"The {self.name} server did not answer within {timeout:.0f} s")

    def wait_until_idle(self, timeout: float = 300) -> float:
        """Wait until the server stops using the CPU; returns the seconds waited.

        When wrk stops, the server still works through the requests it had accepted (a slow page
        can leave seconds of them), and that work would be charged to the next scenario.
        """
        started = time.monotonic()
        before = self._cpu_seconds()
        while time.monotonic() - started < timeout:
            time.sleep(0.5)
            now = self._cpu_seconds()
            if now - before < 0.05:  # under a tenth of a core over the half second
                break
            before = now
        return time.monotonic() - started

    def _cpu_seconds(self) -> float:
        ticks = 0
        for pid in [self.process.pid, *_descendants(self.process.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime and stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def logged_errors(self) -> dict[str, int]:
        """The exceptions the server logged, by their last line (LOG_LEVEL=warning keeps access logs out)."""
        counts: dict[str, int] = {}
        for line in re.findall(_EXCEPTION_LINE, self.log_path.read_text(errors="replace"), re.MULTILINE):
            counts[line[:160]] = counts.get(line[:160], 0) + 1
        return counts

    def peak_memory_mb(self) -> dict[str, float]:
        """Peak resident memory (VmHWM) of the server and each of its descendants, and their sum."""
        peaks = {pid: _peak_rss_kb(pid) for pid in [self.process.pid, *_descendants(self.process.pid)]}
        peaks = {pid: kb for pid, kb in peaks.items() if kb is not None}
        return {
            "largest_mb": max(peaks.values(), default=0) / 1024,
            "total_mb": sum(peaks.values()) / 1024,
            "processes": len(peaks),
        }


def portal_server(database_url: str, workers: int, source: Source) -> Server:
    """The real portal, started the way the README says: `python -m portal serve`, from `source`
    (`-m` puts the working directory first on the path)."""
    command = [sys.executable, "-m", "portal", "serve", "--host", HOST, "--port", "{port}", "--workers", str(workers)]
    environment = {
        "DATA_DIR": str(BENCH / "data"),
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "LOG_LEVEL": "warning",
        **source.environment(),
    }
    return Server("portal", command, environment, cwd=source.root)


def baseline_server(workers: int, page_bytes: int) -> Server:
    command = [sys.executable, str(BENCH / "baseline.py"), "--port", "{port}", "--workers", str(workers)]
    return Server("baseline", command, {"BASELINE_PAGE_BYTES": str(page_bytes)})


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def _peak_rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None
