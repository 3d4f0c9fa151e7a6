"""When the storage fails: a full disk, a database that restarts or cannot be opened.

These are not bugs in a page, and a 500 with a traceback per request says the wrong thing and
floods the log. `portal.db` recognises them by the error (`database_fault`) and raises
`StorageFull` or `DatabaseUnavailable`; `FaultsMiddleware`, the outermost layer of the app,
turns either (and a raw "no space left" from a file write) into one 503 page or JSON error, with
Retry-After, for every route and every middleware alike. A form post gets its text back on that
page, in a form that sends it again. `StorageHealth` remembers what was seen, for /readyz and the
admin pages, and logs each kind of fault once per LOG_EVERY seconds rather than once per request.
"""

import asyncio
import errno
import logging
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qsl

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("roundtable")

LOG_EVERY = 60.0  # seconds between two log lines about the same fault
# A full disk seen less than this long ago still counts (for /readyz) when no write has succeeded since.
FULL_FOR = 30.0
RETRY_UNAVAILABLE = 5  # Retry-After, in seconds, while the database does not answer
RETRY_FULL = 60  # ... while nothing can be saved
READY_TIMEOUT = 2.0  # seconds /readyz waits for the database to answer


class DatabaseUnavailable(Exception):
    """The database cannot be reached right now (restarting, down, its file locked or unreadable)."""


class StorageFull(Exception):
    """Nothing can be saved: the disk under the database or the data directory is full."""


_SQLITE_FULL = 13
_SQLITE_UNAVAILABLE = {5, 6, 14}  # SQLITE_BUSY (after busy_timeout), SQLITE_LOCKED, SQLITE_CANTOPEN
_POSTGRES_FULL = "53100"  # disk_full: "could not extend file", "No space left on device"
_POSTGRES_UNAVAILABLE = (
    asyncpg.PostgresConnectionError,  # class 08
    asyncpg.CannotConnectNowError,  # 57P03: starting up, shutting down
    asyncpg.AdminShutdownError,  # 57P01: terminated by an administrator (pg_terminate_backend, restart)
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.TooManyConnectionsError,  # 53300
    asyncpg.InterfaceError,  # a connection closed under a query
    asyncpg.InternalClientError,  # a connection left mid-operation ("cannot switch to state 12")
    ConnectionError,  # refused or reset while connecting or talking
    TimeoutError,
)


def is_disk_full(error: BaseException) -> bool:
    if isinstance(error, StorageFull):
        return True
    if isinstance(error, sqlite3.Error):
        return (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF == _SQLITE_FULL
    if isinstance(error, asyncpg.PostgresError):
        return getattr(error, "sqlstate", None) == _POSTGRES_FULL
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)


def database_fault(error: BaseException) -> type[Exception] | None:
    """StorageFull or DatabaseUnavailable when `error`, raised by a database call, is one; else None."""
    if is_disk_full(error):
        return StorageFull
    if isinstance(error, DatabaseUnavailable):
        return DatabaseUnavailable
    if isinstance(error, sqlite3.Error):
        code = (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF
        return DatabaseUnavailable if code in _SQLITE_UNAVAILABLE else None
    if isinstance(error, _POSTGRES_UNAVAILABLE) or (
        isinstance(error, OSError) and not isinstance(error, asyncpg.PostgresError)
    ):
        return DatabaseUnavailable
    return None


class StorageHealth:
    """What this process last saw of its storage: read by /readyz and the admin pages."""

    def __init__(self) -> None:
        self.disk_full_since: datetime | None = None
        self.unavailable_since: datetime | None = None
        self._full_seen = 0.0  # monotonic time of the last write refused for a full disk
        self._logged: dict[str, float] = {}

    @property
    def disk_full(self) -> bool:
        """A write was refused for a full disk lately, and none has succeeded since."""
        if self.disk_full_since is not None and time.monotonic() - self._full_seen > FULL_FOR:
            self.disk_full_since = None
        return self.disk_full_since is not None

    def saw_disk_full(self, error: BaseException) -> None:
        self._full_seen = time.monotonic()
        if self.disk_full_since is None:
            self.disk_full_since = datetime.now().astimezone()
        self._log_once(
            "full",
            "cannot save: the disk is full (%s); every write answers 503 until there is space again",
            error,
        )

    def saw_unavailable(self, error: BaseException) -> None:
        if self.unavailable_since is None:
            self.unavailable_since = datetime.now().astimezone()
        self._log_once("unavailable", "the database does not answer (%s); requests that need it answer 503", error)

    def write_succeeded(self) -> None:
        if self.disk_full_since is not None:
            self.disk_full_since = None
            self._log_once("full again", "saving works again: a write succeeded after the disk was full")

    def read_succeeded(self) -> None:
        if self.unavailable_since is not None:
            self.unavailable_since = None
            self._log_once("unavailable again", "the database answers again")

    def _log_once(self, kind: str, message: str, error: BaseException | None = None) -> None:
        """At most one line of each kind per LOG_EVERY, however often it flips (a restart does)."""
        now = time.monotonic()
        if now - self._logged.get(kind, float("-inf")) >= LOG_EVERY:
            self._logged[kind] = now
            if error is None:
                logger.warning(message)
            else:
                logger.error(message, f"{type(error).__name__}: {error}".strip())


FULL_MESSAGE = (
    "The portal cannot save anything right now: its storage is full. Nothing was saved. "
    "Please try again in a few minutes."
)
UNAVAILABLE_MESSAGE = "The portal's database is not answering right now. Please try again in a few seconds."
# Fields never shown back on the page (and so not sent again).
_SECRET_FIELDS = ("password", "secret", "token")
_FORM_TYPE = b"application/x-www-form-urlencoded"


class FaultsMiddleware:
    """The outermost layer: a storage fault from anywhere inside becomes a 503, never a 500.

    The form body of a POST is kept as it goes by (up to `max_body`, which the CSRF check caps
    anyway), so that the 503 page can give the text back in a form that sends it again.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        health: Callable[[Scope], StorageHealth],
        render: Callable[[Request, int, str, list[tuple[str, str]], str], Response],
        max_body: int,
    ) -> None:
        self.app = app
        self.health = health
        self.render = render
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        body = _KeptForm(receive, self.max_body) if _is_form_post(scope) else None
        inner_receive: Receive = receive if body is None else body.receive

        async def send_and_note(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, inner_receive, send_and_note)
        except Exception as error:
            kind = _fault_of(error)
            if kind is None or started:
                raise
            if kind is StorageFull:
                message, retry = FULL_MESSAGE, RETRY_FULL
            else:
                message, retry = UNAVAILABLE_MESSAGE, RETRY_UNAVAILABLE
            if not isinstance(error, kind):  # raised outside portal.db, which notes its own
                self.health(scope).saw_disk_full(error)
            fields = _shown_fields(await body.rest()) if body is not None else []
            response = self.render(Request(scope), 503, message, fields, "full" if kind is StorageFull else "down")
            response.headers["Retry-After"] = str(retry)
            await response(scope, receive, send)


def _is_form_post(scope: Scope) -> bool:
    content_type = dict(scope["headers"]).get(b"content-type", b"")
    return scope["method"] == "POST" and content_type.lower().startswith(_FORM_TYPE)


class _KeptForm:
    """A form post's body, kept as the app reads it, whole or not at all (past `limit` bytes)."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self._receive = receive
        self._limit = limit
        self._chunks: list[bytes] = []
        self._size = 0
        self._done = False  # the last chunk went by, or the client left
        self._too_long = False
        self._cut = False  # the client left before the last chunk

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] != "http.request":
            self._cut = self._cut or not self._done
            self._done = True
            return message
        chunk = message.get("body", b"")
        self._size += len(chunk)
        if self._size > self._limit:
            self._too_long, self._chunks = True, []
        elif not self._too_long:
            self._chunks.append(chunk)
        self._done = not message.get("more_body", False)
        return message

    async def rest(self) -> bytes | None:
        """The whole body, read to its end here when the fault came before the app read it (a
        session looked up while the database is down); None when it was too long or cut short."""
        while not self._done and not self._too_long:
            await self.receive()
        return None if self._too_long or self._cut else b"".join(self._chunks)


def _fault_of(error: BaseException) -> type[Exception] | None:
    if isinstance(error, (StorageFull, DatabaseUnavailable)):
        return type(error)
    # A file write outside the database (an export, a repository mirror) on a full disk.
    return StorageFull if is_disk_full(error) else None


def _shown_fields(body: bytes | None) -> list[tuple[str, str]]:
    if not body:
        return []
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return []
    return [(name, value) for name, value in pairs if not any(word in name.lower() for word in _SECRET_FIELDS)]


async def readyz(request: Request) -> Response:
    """200 when the database answers and nothing says it cannot save; 503 with the reasons.

    For a load balancer or an orchestrator; the reasons name no address, password or path.
    """
    db = request.app.state.db
    reasons = []
    try:
        async with asyncio.timeout(READY_TIMEOUT):
            await db.ping()
    except (DatabaseUnavailable, StorageFull, TimeoutError):
        reasons.append("the database does not answer")
    if db.health.disk_full:
        reasons.append(f"the disk is full: writes refused since {db.health.disk_full_since:%Y-%m-%d %H:%M:%S %z}")
    status = 503 if reasons else 200
    headers = {"Cache-Control": "no-store", **({"Retry-After": str(RETRY_UNAVAILABLE)} if reasons else {})}
    return JSONResponse({"ready": not reasons, "reasons": reasons}, status_code=status, headers=headers)
