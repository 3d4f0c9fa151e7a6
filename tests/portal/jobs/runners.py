"""Job runners as separate server processes would have them: each its own app and connections to the
shared database, with a short lease so that a test sees one lapse."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from portal.app import create_app
from portal.db import Database
from portal.jobs.runner import run_due_jobs
from portal.settings import Settings
from tests.apps import make_settings

LEASE, HEARTBEAT = 1.5, 0.3  # seconds, short so that a test sees a lease lapse


@dataclass
class Runner:
    """One server process's job runner: its own connections to the shared database."""

    db: Database
    settings: Settings
    assembly: Any

    async def run(self, **kwargs: Any):
        return await run_due_jobs(self.db, self.settings, self.assembly, **kwargs)


@contextlib.asynccontextmanager
async def runners(
    database_url: str, tmp_path, count: int = 2, assembly: Any = None, **overrides: str
) -> AsyncIterator[list[Runner]]:
    """`count` job runners of one database; `assembly`: the job kinds they know (the app's by default)."""
    settings = make_settings(database_url, tmp_path, JOBS_LEASE=str(LEASE), JOBS_HEARTBEAT=str(HEARTBEAT), **overrides)
    async with contextlib.AsyncExitStack() as stack:
        started = []
        for _ in range(count):
            app = create_app(settings)
            await stack.enter_async_context(app.router.lifespan_context(app))
            started.append(Runner(app.state.db, app.state.settings, assembly or app.state.assembly))
        yield started


async def stop(task: asyncio.Task) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
