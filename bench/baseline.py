"""The baseline: a bare Starlette app, served by uvicorn like the portal, that renders a
page of the home page's size from Jinja2 (through Starlette's Jinja2Templates, as the
portal does) and touches no database. Its requests/s is what the portal's figures are
divided by: a ratio says how much of the machine's speed the portal keeps, and ratios,
unlike requests/s, compare from one machine to another.

    .venv/bin/python bench/baseline.py --port 8001 --workers 1   # BASELINE_PAGE_BYTES=26000
"""

import argparse
import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

BENCH = Path(__file__).resolve().parent
ROWS = 20  # the portal's page size
templates = Jinja2Templates(directory=BENCH)


def sample_ideas() -> list[dict]:
    now = datetime.now(UTC)
    return [
        {
            "id": 1000 - number,
            "title": f"Export weekly reports for dashboard number {number}",
            "author": f"Member {number * 37}",
            "vote_count": 500 - number * 7,
            "comment_count": number % 4,
            "created_at": now - timedelta(days=number),
            "age": f"{number + 1} days ago",
        }
        for number in range(ROWS)
    ]


def create_app() -> Starlette:
    ideas = sample_ideas()
    context = {"ideas": ideas, "csrf_token": secrets.token_urlsafe(32), "filler": ""}
    # The rows give the template its work; the filler then brings the page to the asked-for size.
    target = int(os.environ.get("BASELINE_PAGE_BYTES", "0"))
    rendered = len(templates.get_template("baseline.html").render(context).encode())
    context["filler"] = "x" * max(target - rendered, 0)

    async def page(request: Request) -> Response:
        return templates.TemplateResponse(request, "baseline.html", context)

    return Starlette(routes=[Route("/", page)])


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the benchmark's baseline page.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        "baseline:create_app",
        factory=True,
        app_dir=str(BENCH),
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
