"""`roundtable serve --workers N` (N > 1): uvicorn workers under gunicorn's master.

uvicorn's own supervisor kills a worker that has not answered its health check 5 s after it was
spawned, and a spawned worker imports the whole app first: 5.5-9.8 s on a busy 2-core machine,
so workers were killed in a loop and the server never became ready; after a kill -9 it could run
a worker short. gunicorn's master imports the app once and forks its workers, which start with
it loaded. It holds a worker to WORKER_TIMEOUT only from the worker's first heartbeat, which a
uvicorn worker sends once it serves, so a worker slow to start is never killed for it; and it
replaces a worker that dies, whatever killed it.
"""

import importlib
import logging
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger
from uvicorn_worker import UvicornWorker

from portal import secret_links

# Seconds a serving worker may go without a heartbeat (its event loop blocked) before it is killed
# and replaced; a stopping worker gets GRACEFUL_TIMEOUT to finish its requests and jobs.
WORKER_TIMEOUT = 60
GRACEFUL_TIMEOUT = 30


class AsyncioLoopWorker(UvicornWorker):
    """asyncio's own event loop: SQLite (see portal.cli.event_loop)."""

    CONFIG_KWARGS = {"loop": "asyncio", "http": "auto"}


class AutoLoopWorker(UvicornWorker):
    """uvloop if installed: PostgreSQL."""

    CONFIG_KWARGS = {"loop": "auto", "http": "auto"}


class MaskingLogger(Logger):
    """gunicorn's logs, whose handlers the uvicorn workers also log through (their access lines
    among them), with secret links masked as a single uvicorn process masks them."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.addFilter(secret_links.MaskSecretLinks())
        # The portal's own lines go where gunicorn's errors go, as with a single uvicorn process.
        portal_log = logging.getLogger("roundtable")
        portal_log.handlers = self.error_log.handlers
        portal_log.setLevel(self.error_log.level)
        portal_log.propagate = False


class Supervisor(BaseApplication):
    """gunicorn configured from Roundtable's settings only: no gunicorn.conf.py, no GUNICORN_CMD_ARGS."""

    def __init__(self, app_factory: Callable[[], Any], options: dict[str, Any]) -> None:
        self.app_factory = app_factory
        self.options = options
        super().__init__(prog="roundtable serve")

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        return self.app_factory()  # in each worker, after the fork


def serve_workers(
    app_factory: Callable[[], Any],
    *,
    bind: str,
    workers: int,
    loop: str,
    forwarded_allow_ips: str,
    log_level: str,
) -> None:
    # Imported once, here in the master, so that every forked worker starts with the app's modules.
    importlib.import_module("portal.app")
    options = {
        "bind": [bind],
        "workers": workers,
        "worker_class": AsyncioLoopWorker if loop == "asyncio" else AutoLoopWorker,
        "timeout": WORKER_TIMEOUT,
        "graceful_timeout": GRACEFUL_TIMEOUT,
        "forwarded_allow_ips": forwarded_allow_ips,
        "loglevel": log_level,
        # uvicorn's access lines, as a single process prints them at info and below.
        "accesslog": "-" if log_level in ("debug", "info") else None,
        "logger_class": MaskingLogger,
        "proc_name": "roundtable",
        # gunicorn 24+ opens a control socket in $HOME, one path shared by every server of the user.
        "control_socket_disable": True,
    }
    Supervisor(app_factory, options).run()
