"""Roundtable's benchmark: seed a database, start the real server, drive it with wrk, and print
requests/s, p50 and p99 for each main page, each as a ratio to a bare Starlette baseline.

    .venv/bin/python bench/run.py --scale S --database sqlite --workers 1 --duration 10

bench/README.md says what each scenario measures and how to run it on PostgreSQL.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
import psycopg
from psycopg import sql

import scales
import source as sources
from server import BENCH, Server, baseline_server, portal_server
from wrk import ensure_wrk, run_wrk

SORTS = ("top", "trending", "new", "discussed", "updated")
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/roundtable_bench_{scale}"
# Enough ideas for the vote walk to come back to each one only after many others.
VOTE_WALK_IDEAS = 2_000
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    signed_in: bool = False
    script: str | None = None  # a Lua script in bench/; None: plain GETs
    optional: bool = False  # a page that older revisions do not have
    writes: bool = False  # its requests change what the next ones do (the vote walks)


def page_scenarios() -> list[Scenario]:
    scenarios = []
    for sort in SORTS:
        scenarios.append(Scenario(f"home {sort}, anonymous", f"/?sort={sort}"))
        scenarios.append(Scenario(f"home {sort}, signed in", f"/?sort={sort}", signed_in=True, script="get.lua"))
    idea = f"/ideas/{scales.FIFTY_COMMENTS_IDEA_ID}"
    scenarios += [
        Scenario(f"idea with {scales.FIFTY_COMMENTS} comments, anonymous", idea),
        Scenario(f"idea with {scales.FIFTY_COMMENTS} comments, signed in", idea, signed_in=True, script="get.lua"),
        Scenario(f"search ({scales.SEARCH_WORD})", "/search?" + urlencode({"q": scales.SEARCH_WORD})),
        Scenario("similar ideas", "/ideas/similar?" + urlencode({"title": scales.SIMILAR_TITLE})),
        Scenario("roadmap, anonymous", "/roadmap", optional=True),
    ]
    return scenarios


BASELINE = Scenario("baseline", "/")
WARM_UP_SECONDS = 2
VOTE_SCENARIO = Scenario("vote toggle (JSON)", "/", signed_in=True, script="vote.lua", writes=True)
API_VOTE_SCENARIO = Scenario("vote toggle (API, token)", "/", script="vote_api.lua", optional=True, writes=True)
_TOKEN = re.compile(r'value="(rt_[^"]+)"')


# -- the database -------------------------------------------------------------------------------


def database_url(args: argparse.Namespace) -> str:
    if args.database_url:
        # The bench's processes start elsewhere (in the measured code's folder): make a SQLite path absolute.
        if args.database_url.startswith("sqlite:///"):
            return f"sqlite:///{Path(args.database_url[len('sqlite:///') :]).resolve()}"
        return args.database_url
    if args.database == "sqlite":
        return f"sqlite:///{BENCH / 'data' / f'roundtable-{args.scale}.db'}"
    return os.environ.get("DATABASE_URL") or DEFAULT_POSTGRES.format(scale=args.scale.lower())


def recreate_database(url: str) -> None:
    """Start from nothing: delete the SQLite file, or drop and create the PostgreSQL database."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        return
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    # Dropping a database is only for one that is plainly the benchmark's own.
    if "bench" not in name:
        raise SystemExit(f"Refusing to drop {name!r}: give the benchmark a database with 'bench' in its name.")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def bench_python(code: sources.Source, script: str, *args: str, capture: bool = False) -> str:
    """Run bench/<script> in a process of its own that imports the project from `code`."""
    finished = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        env={**os.environ, **code.environment()},
        cwd=code.root,
        stdout=subprocess.PIPE if capture else None,
        text=True,
        check=True,
    )
    return finished.stdout or ""


def database_state(code: sources.Source, command: str, url: str) -> object:
    """What bench/state.py says about the database (see there): its last line, as JSON."""
    return json.loads(bench_python(code, "state.py", command, url, capture=True).splitlines()[-1])


def prepare_database(code: sources.Source, url: str, scale: str, reseed: bool) -> dict | None:
    """Reuse a database seeded at this scale, else seed one; returns the seeding figures, if any."""
    if not reseed and database_state(code, "scale", url) == scale:
        print(f"Reusing the database seeded at scale {scale}: {redact(url)}")
        left = database_state(code, "take-back", url)
        if left:
            print(f"Took back {left} votes that an earlier run left")
        return None
    print(f"Seeding scale {scale} into {redact(url)}", flush=True)
    recreate_database(url)
    figures = BENCH / "data" / "seeding.json"
    bench_python(code, "seed.py", "--scale", scale, "--database-url", url, "--json", str(figures))
    return json.loads(figures.read_text())


def redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


# -- talking to the portal ----------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    cookie: str  # the Cookie header
    csrf_token: str


def sign_in(base_url: str) -> Member:
    """Sign the bench member in over HTTP, as a browser would, and keep its cookie and CSRF token."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        form = client.get("/signin")
        fields = {"login": scales.BENCH_USERNAME, "password": scales.BENCH_PASSWORD, "csrf_token": _csrf_of(form.text)}
        answer = client.post("/signin", data=fields)
        if answer.status_code != 303:
            raise SystemExit(f"Signing in failed with {answer.status_code}")
        # Signing in starts a fresh session with a new CSRF token: read it from a page.
        home = client.get("/")
        if "Sign out" not in home.text:
            raise SystemExit("Signed in, yet the home page does not show it")
        return Member(f"session={client.cookies['session']}", _csrf_of(home.text))


def api_token(base_url: str, member: Member) -> str | None:
    """A read-write personal API token for the bench member; None when the code has no API."""
    with httpx.Client(base_url=base_url, timeout=30, headers={"Cookie": member.cookie}) as client:
        form = client.get("/settings/tokens")
        if form.status_code == 404:
            return None
        answer = client.post(
            "/settings/tokens", data={"name": "bench", "scope": "write", "csrf_token": _csrf_of(form.text)}
        )
        match = _TOKEN.search(answer.text)
        if not match:
            raise SystemExit(f"Creating an API token failed with {answer.status_code}")
        return match.group(1)


def _csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    if not match:
        raise SystemExit("No CSRF token on the page")
    return match.group(1)


def check_page(base_url: str, scenario: Scenario, member: Member) -> int | None:
    """Fetch the page once (this also warms caches); a scenario that fails is not worth timing.
    None: the measured code has no such page yet (an older revision)."""
    headers = {"Cookie": member.cookie} if scenario.signed_in else {}
    response = httpx.get(base_url + scenario.path, headers=headers, timeout=60)
    if response.status_code == 404 and scenario.optional:
        return None
    if response.status_code != 200:
        raise SystemExit(f"{scenario.name}: {scenario.path} answered {response.status_code}")
    if (
        scenario.signed_in
        and "json" not in response.headers.get("content-type", "")
        and "Sign out" not in response.text
    ):
        raise SystemExit(f"{scenario.name}: the page does not show the member signed in")
    return len(response.content)


# -- running ------------------------------------------------------------------------------------


def drive(server: Server, scenario: Scenario, args: argparse.Namespace, script_args: list[str] | None = None) -> dict:
    """wrk's figures, how long the server took to drain, and its peak memory so far."""
    print(f"  {scenario.name} ...", end=" ", flush=True)
    load = {
        "threads": args.threads,
        "connections": args.connections,
        "script": scenario.script,
        "script_args": script_args,
    }
    # Unmeasured: after even a few seconds idle, this machine serves the first seconds of load
    # slower (the bare baseline: 1,239 then 1,730 requests/s in two 3-second runs in a row).
    # What the warm-up leaves in flight (50 requests at most) is served within the measured run.
    # A vote walk warms up on the home page instead: walked twice, its first requests would find
    # their votes already cast and write nothing.
    if scenario.writes:
        run_wrk(server.url + "/", duration=WARM_UP_SECONDS, threads=args.threads, connections=args.connections)
    else:
        run_wrk(server.url + scenario.path, duration=WARM_UP_SECONDS, **load)
    figures = run_wrk(server.url + scenario.path, duration=args.duration, **load)
    print(f"{figures.requests_per_second:,.0f} requests/s, p50 {ms(figures.p50_ms)} ms, p99 {ms(figures.p99_ms)} ms")
    waited = server.wait_until_idle()
    if waited > 1:
        print(f"    (the server took {waited:.0f} s more to finish the requests wrk had left)")
    return {**figures.as_dict(), "drain_s": round(waited, 1), "peak_rss_mb": server.peak_memory_mb()["total_mb"]}


def run_portal(code: sources.Source, url: str, args: argparse.Namespace) -> dict:
    """The portal's scenarios, each followed by a run of the baseline: a scenario's ratio is to
    the baseline runs just before and after it, as this machine's speed drifts during a run."""
    scale = scales.SCALES[args.scale]
    with portal_server(url, args.workers, code) as server:
        member = sign_in(server.url)
        home_bytes = check_page(server.url, Scenario("home", "/"), member)
        # Started beside the portal; each waits, idle, while the other is driven.
        with baseline_server(args.workers, home_bytes) as bare:
            check_page(bare.url, BASELINE, Member("", ""))
            baselines = [drive(bare, BASELINE, args)]
            results: dict[str, dict] = {}

            def measure(scenario: Scenario, script_args: list[str] | None, **extra: object) -> None:
                figures = drive(server, scenario, args, script_args)
                baselines.append(drive(bare, BASELINE, args))
                around = (baselines[-2]["requests_per_second"] + baselines[-1]["requests_per_second"]) / 2
                results[scenario.name] = {**figures, "baseline_requests_per_second": around, **extra}

            _drive_portal(server.url, member, measure, scale, args)
        memory = server.peak_memory_mb()
    mismatches = database_state(code, "check", url)
    return {
        "scenarios": results,
        "baselines": baselines,
        "home_bytes": home_bytes,
        "memory": memory,
        "mismatches": mismatches,
        "logged_errors": server.logged_errors(),
    }


def _drive_portal(
    url: str, member: Member, measure: Callable[..., None], scale: scales.Scale, args: argparse.Namespace
) -> None:
    for scenario in page_scenarios():
        if args.only and args.only not in scenario.name:
            continue
        page_bytes = check_page(url, scenario, member)
        if page_bytes is None:
            print(f"  {scenario.name}: not in this code, skipped")
            continue
        measure(scenario, [member.cookie] if scenario.signed_in else None, bytes=page_bytes)
    if not args.only or args.only in VOTE_SCENARIO.name:
        walk = min(scale.ideas, VOTE_WALK_IDEAS)
        measure(
            VOTE_SCENARIO, [member.cookie, member.csrf_token, str(walk), str(scale.ideas // walk), str(args.threads)]
        )
    if not args.only or args.only in API_VOTE_SCENARIO.name:
        token = api_token(url, member)
        if token is None:
            print(f"  {API_VOTE_SCENARIO.name}: not in this code, skipped")
        else:
            walk = min(scale.ideas, VOTE_WALK_IDEAS)
            stride = scale.ideas // walk
            # Half a stride along: at M it never meets the site's walk (at S, where the stride is 1, it does).
            measure(API_VOTE_SCENARIO, [token, str(walk), str(stride), str(args.threads), str(1 + stride // 2)])


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.*)$", cpuinfo, re.MULTILINE)
    return {
        "cores": len(os.sched_getaffinity(0)),
        "cpu": model.group(1) if model else "unknown",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        # Other work on the machine skews every figure: the load before the run says whether there was any.
        "load_average": Path("/proc/loadavg").read_text().split()[0],
    }


def ms(value: float | None) -> str:
    return "none finished" if value is None else f"{value:.1f}"


def print_table(report: dict) -> None:
    settings = report["settings"]
    print()
    print(
        f"Scale {settings['scale']}, {settings['database']}, {settings['workers']} worker(s), {settings['code']}, "
        f"wrk -t{settings['threads']} -c{settings['connections']} -d{settings['duration']}s; "
        f"{report['machine']['cores']} cores, {report['machine']['cpu']}, {report['machine']['date']}, "
        f"load average {report['machine']['load_average']} before the run"
    )
    baselines = sorted(run["requests_per_second"] for run in report["portal"]["baselines"])
    print(
        f"The baseline ran {len(baselines)} times, between the scenarios: {baselines[0]:,.0f} to "
        f"{baselines[-1]:,.0f} requests/s (median {statistics.median(baselines):,.0f}). Each ratio is to the"
        " mean of the baseline runs just before and after the scenario."
    )
    print()
    print(
        "| scenario | requests/s | p50 ms | p99 ms | ratio to baseline | baseline req/s | failed | peak RSS MB so far |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, figures in report["portal"]["scenarios"].items():
        around = figures["baseline_requests_per_second"]
        print(
            f"| {name} | {figures['requests_per_second']:,.0f} | {ms(figures['p50_ms'])} | {ms(figures['p99_ms'])} "
            f"| {figures['requests_per_second'] / around:.2f} | {around:,.0f} | {figures['failed']} "
            f"| {figures['peak_rss_mb']:.0f} |"
        )
    memory = report["portal"]["memory"]
    print()
    print(
        f"Server peak RSS (VmHWM): largest process {memory['largest_mb']:.0f} MB, "
        f"{memory['total_mb']:.0f} MB over {memory['processes']} process(es)."
    )
    mismatches = report["portal"]["mismatches"]
    verdict = "all equal their rows" if not any(mismatches.values()) else "MISMATCHED"
    print(f"Stored counters at the end (after the vote run): {verdict} {mismatches}")
    errors = report["portal"]["logged_errors"]
    print(
        f"Exceptions in the portal's log: {sum(errors.values())}" + "".join(f"\n  {n} x {e}" for e, n in errors.items())
    )
    if report.get("seeding"):
        seconds = report["seeding"]["seconds"]
        print("Seeding: " + ", ".join(f"{name} {value:.1f} s" for name, value in seconds.items()))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark Roundtable against a bare Starlette baseline.")
    parser.add_argument("--scale", choices=sorted(scales.SCALES), default="S")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", help="overrides the database chosen by --database")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes, for both servers")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per scenario")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections")
    parser.add_argument("--reseed", action="store_true", help="seed afresh even if a seeded database exists")
    parser.add_argument(
        "--source", metavar="REVISION", help="measure this commit (git archive) instead of the working tree"
    )
    parser.add_argument("--only", help="run only the scenarios whose name contains this text")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    host = machine()
    ensure_wrk()
    url = database_url(args)
    code = sources.revision(args.source) if args.source else sources.working_tree()
    print(f"Measuring the code of the {code.label}")
    seeding = prepare_database(code, url, args.scale, args.reseed)
    started = time.perf_counter()
    portal = run_portal(code, url, args)
    options = ("scale", "database", "workers", "duration", "threads", "connections")
    settings = {"code": code.label} | {key: getattr(args, key) for key in options}
    report = {"settings": settings, "machine": host, "seeding": seeding, "portal": portal}
    print_table(report)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    saved = BENCH / "data" / f"results-{args.scale}-{args.database}-{stamp}.json"
    saved.write_text(json.dumps(report, indent=2))
    print(f"Figures saved in {saved.relative_to(BENCH.parent)} ({time.perf_counter() - started:.0f} s of driving).")


if __name__ == "__main__":
    main()
