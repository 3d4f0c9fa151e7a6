"""Storage faults met before a request got to what it came for: a form's body not read yet, a
token's use recorded on the way to a read.

PostgreSQL "going away" here is a TCP proxy on loopback between the app and the server that is
shut: new connections are refused and the open ones drop, as when the server is stopped.
"""

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from portal.app import create_app
from tests.api_client import api_client, create_token
from tests.apps import make_settings
from tests.people import Person
from tests.portal.full_disk import postgres_disk_full


class Proxy:
    """Forwards loopback connections to PostgreSQL until `stop()`, which refuses and drops them."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.writers |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def stop(self) -> None:
        self.server.close()
        for writer in self.writers:
            writer.transport.abort()
        self.writers.clear()
        await self.server.wait_closed()


@contextlib.asynccontextmanager
async def app_behind_proxy(database_url: str, tmp_path) -> AsyncIterator[tuple]:
    host_port, name = database_url.rsplit("/", 1)
    proxy = Proxy(int(host_port.rsplit(":", 1)[1]))
    port = await proxy.start()
    app = create_app(make_settings(f"{host_port.rsplit(':', 1)[0]}:{port}/{name}", tmp_path))
    try:
        async with app.router.lifespan_context(app):
            yield app, proxy
    finally:
        with contextlib.suppress(Exception):
            await proxy.stop()


async def test_a_form_posted_while_postgres_is_down_gets_its_text_back(database_url, tmp_path):
    """The session is looked up before anything reads the form: the 503 must still give it back."""
    if database_url.startswith("sqlite"):
        pytest.skip("a database server that stops; SQLite's locked file: test_database_faults.py")
    async with app_behind_proxy(database_url, tmp_path) as (app, proxy):
        ada = await Person.create(app, "ada")
        await ada.sign_in()
        idea = await ada.submit_idea("Dark mode")
        await ada.get(f"/ideas/{idea}")
        await proxy.stop()

        refused = await ada.comment(idea, "Please add a dark theme.\nMy eyes thank you.")

        assert refused.status_code == 503 and int(refused.headers["retry-after"]) > 0
        page = HTMLParser(refused.text)
        kept = page.css_first("form.saved-text textarea[name=body]")
        assert kept is not None, "the typed text is not on the 503 page"
        assert kept.text() == "Please add a dark theme.\nMy eyes thank you."
        assert page.css_first("form.saved-text input[name=csrf_token]") is not None


@contextlib.contextmanager
def nothing_can_be_saved(database_url: str):
    """SQLite: another process holds the write lock; PostgreSQL: every write fails as on a full disk."""
    if database_url.startswith("sqlite"):
        other_process = sqlite3.connect(database_url[len("sqlite:///") :], isolation_level=None)
        other_process.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            other_process.execute("ROLLBACK")
            other_process.close()
    else:
        with postgres_disk_full(database_url):
            yield


async def test_a_script_reads_with_its_token_while_nothing_can_be_saved(database_url, tmp_path):
    """Recording when a token was last used is a write: it must not turn the script's reads into
    503s while writes cannot be saved (a full disk, a locked SQLite file); its writes still are."""
    app = create_app(make_settings(database_url, tmp_path, SQLITE_BUSY_TIMEOUT="200"))
    async with app.router.lifespan_context(app):
        ada = await Person.create(app, "ada")
        await ada.sign_in()
        idea = await ada.submit_idea("Dark mode")
        await ada.get("/settings/tokens")
        token = await create_token(ada)  # not used yet: its first use records when
        with nothing_can_be_saved(database_url):
            async with api_client(app, token) as script:
                read = await script.get(f"/api/v1/ideas/{idea}")
                write = await script.post(f"/api/v1/ideas/{idea}/comments", json={"body": "From a script"})
            assert read.status_code == 200, read.text
            assert read.json()["title"] == "Dark mode"
            assert write.status_code == 503 and int(write.headers["retry-after"]) > 0
        async with api_client(app, token) as script:
            assert (await script.get(f"/api/v1/ideas/{idea}")).status_code == 200
        tokens = await ada.get("/settings/tokens")
        assert HTMLParser(tokens.text).css_first("main td time") is not None  # its use recorded once it can be
