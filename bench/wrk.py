"""Driving a server with wrk, and reading what wrk prints."""

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Figures:
    requests_per_second: float
    # None when no request finished within the run (wrk then prints zeros).
    p50_ms: float | None
    p99_ms: float | None
    requests: int
    # Responses with a status of 400 or more, and connect/read/write/timeout errors.
    failed: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def ensure_wrk() -> str:
    """wrk's path, installing Debian's package first when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    print("Installing wrk from Debian's packages", flush=True)
    as_root = [] if os.geteuid() == 0 else ["sudo"]
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*as_root, "apt-get", "update", "-qq"], check=True, env=environment)
    subprocess.run([*as_root, "apt-get", "install", "-y", "-qq", "wrk"], check=True, env=environment)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is still missing after apt-get install wrk")
    return found


def run_wrk(
    url: str,
    *,
    duration: int,
    threads: int,
    connections: int,
    script: str | None = None,
    script_args: list[str] | None = None,
) -> Figures:
    command = [ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if script:
        command += ["-s", str(BENCH / script)]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    if finished.returncode != 0:
        raise RuntimeError(f"wrk failed: {finished.stderr or finished.stdout}")
    return parse_wrk(finished.stdout)


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _milliseconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * _UNITS_MS[unit]


def parse_wrk(output: str) -> Figures:
    """Requests/s, the 50th and 99th latency percentiles and the failures from `wrk --latency`."""

    def find(pattern: str) -> str | None:
        match = re.search(pattern, output, re.MULTILINE)
        return match.group(1) if match else None

    socket_errors = find(r"Socket errors: (.*)$")
    failed = int(find(r"Non-2xx or 3xx responses: (\d+)") or 0)
    if socket_errors:
        failed += sum(int(number) for number in re.findall(r"\d+", socket_errors))
    requests = int(find(r"^\s+(\d+) requests in"))
    return Figures(
        requests_per_second=float(find(r"^Requests/sec:\s+([\d.]+)")),
        p50_ms=_milliseconds(find(r"^\s+50%\s+(\S+)")) if requests else None,
        p99_ms=_milliseconds(find(r"^\s+99%\s+(\S+)")) if requests else None,
        requests=requests,
        failed=failed,
    )
