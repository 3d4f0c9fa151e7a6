"""The real server (`python -m portal serve`) in a subprocess, for tests that need one."""

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests import processes

REDIS = ("127.0.0.1", 6379)


def redis_is_up() -> bool:
    try:
        socket.create_connection(REDIS, timeout=0.5).close()
        return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def serving(database_url: str, data_dir: Path, *, workers: int = 1, **environ: str) -> Iterator[Server]:
    """Serve the portal on a free loopback port until it answers; stopped with every process it started."""
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
        **environ,
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"server-{port}.log"
    command = [sys.executable, "-m", "portal", "serve", "--port", str(port), "--workers", str(workers)]
    with processes.started(command, env=environ, log=log) as process:
        server = Server(f"http://127.0.0.1:{port}", process, log)
        processes.wait_until_answering(process, server.url + "/signin", log=log)
        yield server


@contextmanager
def running_portal(database_url: str, data_dir: Path, *, workers: int = 1) -> Iterator[str]:
    """Serve the portal on a free loopback port; yields its base URL."""
    with serving(database_url, data_dir, workers=workers) as server:
        yield server.url
