"""A database that goes away: PostgreSQL connections terminated under requests (a restart), a
SQLite file locked by another process. Never a 500: reads are tried again, the rest answers 503
with Retry-After, as a page or as JSON, and the next requests work."""

import asyncio
import sqlite3

import psycopg
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from portal import schema
from portal.app import create_app
from tests.api_client import api_client, create_token, error_of
from tests.apps import make_settings
from tests.pages import shown
from tests.people import Person


def terminate_connections(database_url: str, keep: int) -> int:
    """What a PostgreSQL restart does to the app's connections, from an admin connection of its own."""
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(schema.sync_url(database_url).replace("+psycopg", ""), autocommit=True) as admin:
        return admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid() AND pid <> %s",
            (name, keep),
        ).fetchone()[0]


def assert_no_500_and_503s_say_when(responses) -> None:
    for response in responses:
        assert response.status_code != 500, response.text
        if response.status_code == 503:
            assert int(response.headers["retry-after"]) > 0


async def test_postgres_connections_terminated_under_requests_give_no_500_and_reads_are_retried(
    database_url, app, person, request
):
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's connections; SQLite's locked file is tested below")
    keep = request.getfixturevalue("postgres_reset").connection.info.backend_pid  # the tests' own
    ada = await person("ada")
    idea = await ada.submit_idea("Dark mode", "For late evenings.")
    async with Person.browsing(app) as visitor:
        await asyncio.gather(*(visitor.get("/") for _ in range(6)))  # several pooled connections

        # Every pooled connection killed while idle: reads find out and go again on a fresh one.
        assert terminate_connections(database_url, keep) >= 1
        pages = await asyncio.gather(
            *(ada.get(f"/ideas/{idea}") for _ in range(3)), *(visitor.get("/") for _ in range(3))
        )
        assert [page.status_code for page in pages] == [200] * 6

        # Killed while requests run, three times over.
        for round in range(3):
            _, *responses = await asyncio.gather(
                asyncio.to_thread(terminate_connections, database_url, keep),
                *(visitor.get("/") for _ in range(4)),
                ada.get(f"/ideas/{idea}"),
                ada.comment(idea, f"Written during restart {round}"),
                ada.vote(idea),
            )
            assert_no_500_and_503s_say_when(responses)
            assert all(response.status_code in (200, 503) for response in responses[:5])

        # And then everything works as before.
        after = await asyncio.gather(*(visitor.get("/") for _ in range(4)), ada.get(f"/ideas/{idea}"))
        assert [page.status_code for page in after] == [200] * 5
        assert (await ada.comment(idea, "After the restart")).status_code == 303
        shown = HTMLParser((await visitor.get(f"/ideas/{idea}")).text)
        assert any("After the restart" in node.text() for node in shown.css("article, li, div"))


async def test_a_locked_sqlite_file_answers_503_with_the_text_kept_then_works_again(tmp_path, sqlite_template, caplog):
    path = tmp_path / "roundtable.db"
    path.write_bytes(sqlite_template.read_bytes())
    settings = make_settings(f"sqlite:///{path}", tmp_path, SQLITE_BUSY_TIMEOUT="200")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        ada = await Person.create(app, "ada")
        await ada.sign_in()
        idea = await ada.submit_idea("Dark mode")
        await ada.get("/settings/tokens")
        token = await create_token(ada)
        other_process = sqlite3.connect(path, isolation_level=None)
        other_process.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        try:
            refused = await ada.comment(idea, "Please add a dark theme.\nMy eyes thank you.")
            assert refused.status_code == 503 and int(refused.headers["retry-after"]) > 0
            page = HTMLParser(refused.text)
            assert "not answering" in page.css_first("main").text()
            kept = page.css_first("form.saved-text textarea[name=body]")
            assert kept is not None and kept.text() == "Please add a dark theme.\nMy eyes thank you."
            assert page.css_first("form.saved-text").attributes["action"] == f"/ideas/{idea}/comments"
            assert page.css_first("form.saved-text input[name=csrf_token]").attributes["value"]
            async with api_client(app, token) as script:
                answer = await script.post(f"/api/v1/ideas/{idea}/comments", json={"body": "From a script"})
            assert answer.status_code == 503 and "retry-after" in answer.headers
            assert "not answering" in error_of(answer)["message"]
            assert (await ada.get(f"/ideas/{idea}")).status_code == 200  # reads go on beside the lock
        finally:
            other_process.execute("ROLLBACK")
            other_process.close()
        again = await ada.post(f"/ideas/{idea}/comments", _fields(refused.text))
        assert again.status_code == 303  # "Send again" on the 503 page posts the kept text
        assert "My eyes thank you." in shown(await ada.get(f"/ideas/{idea}"))
    assert "Traceback" not in caplog.text
    assert caplog.text.count("the database does not answer") == 1


def _fields(page: str) -> dict[str, str]:
    form = HTMLParser(page).css_first("form.saved-text")
    fields = {node.attributes["name"]: node.attributes.get("value") or "" for node in form.css("input[name]")}
    fields.update({node.attributes["name"]: node.text() for node in form.css("textarea[name]")})
    return fields
