"""The real server (`python -m portal serve`) in a subprocess, for tests that need one."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_portal(
    database_url: str, data_dir: Path, *, workers: int = 1, env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[str]:
    """Serve the portal on a free loopback port; yields its base URL. `env`: settings of the
    test's own; `log`: a file that receives the server's output (its access log among it)."""
    port = free_port()
    environ = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "shared-by-every-worker",
        "ARGON2_PROFILE": "CHEAPEST",
        "LOG_LEVEL": "warning",
        # Many simulated members from one loopback address: see tests/conftest.py make_settings.
        "RATE_LIMITS": "false",
        **(env or {}),
    }
    output = log.open("wb") if log is not None else subprocess.PIPE
    server = subprocess.Popen(
        [sys.executable, "-m", "portal", "serve", "--port", str(port), "--workers", str(workers)],
        env=environ,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    if log is not None:
        output.close()  # the server holds its own copy
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                httpx.get(base + "/signin", timeout=1)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    printed = log.read_text() if log is not None else server.stdout.read().decode()
                    raise AssertionError("the portal did not start:\n" + printed) from None
                time.sleep(0.1)
        yield base
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
