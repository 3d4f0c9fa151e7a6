"""A full disk: every write answers 503 saying nothing can be saved, with the typed text kept; the
log says so once; /readyz and the admin's flag say so; and it all recovers when space returns.

SQLite runs on a real small filesystem (a tmpfs of 4 MB) filled to the last byte. PostgreSQL's
full disk is simulated: a trigger raises the error it raises then (SQLSTATE 53100, "could not
extend file"), since filling the test server's disk would stop every other test.
"""

import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from portal.app import create_app
from tests.api_client import api_client, create_token, error_of
from tests.apps import make_settings
from tests.pages import shown
from tests.people import Person
from tests.portal.full_disk import postgres_disk_full

COMMENT = "Dark mode, please.\nMy eyes hurt at night. " * 200  # ~8,600 characters
IDEA_BODY = "For late evenings; for people with migraines. " * 400  # ~18,800 characters


@contextmanager
def small_filesystem(path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs mounted at `path` (root only), unmounted at the end."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root (mount -t tmpfs)")
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], check=True)


def fill(directory: Path) -> Path:
    """Fill the filesystem of `directory` to the last byte with one file; returns it."""
    filler = directory / "filler"
    with filler.open("wb", buffering=0) as handle:
        for size in (1 << 16, 1 << 12, 1 << 9, 1):
            try:
                while True:
                    handle.write(b"\0" * size)
            except OSError as error:
                assert error.errno == errno.ENOSPC
    return filler


async def post_until_refused(post, tries: int = 40):
    """Writes on a full disk can still fit in space SQLite's files already hold: post until one does not."""
    for _ in range(tries):
        response = await post()
        if response.status_code not in (201, 303):
            return response
    raise AssertionError(f"{tries} posts were saved on a full disk")


def assert_cannot_save_with_text_kept(response, **typed: str) -> None:
    assert response.status_code == 503, response.text[:2000]
    assert int(response.headers["retry-after"]) > 0
    page = HTMLParser(response.text)
    assert "cannot save anything right now" in page.css_first("main").text()
    form = page.css_first("form.saved-text")
    for name, text in typed.items():
        field = form.css_first(f"textarea[name={name}]") or form.css_first(f"input[name={name}]")
        assert field is not None, name
        kept = field.text() if field.tag == "textarea" else field.attributes["value"]
        assert kept == text.replace("\r\n", "\n"), name


async def readyz(app) -> tuple[int, dict]:
    async with Person.browsing(app) as probe:
        response = await probe.get("/readyz")
    return response.status_code, response.json()


async def test_sqlite_on_a_full_filesystem_answers_503_keeps_the_text_and_recovers(tmp_path, sqlite_template, caplog):
    with small_filesystem(tmp_path / "small") as data_dir:
        path = data_dir / "roundtable.db"
        shutil.copyfile(sqlite_template, path)
        app = create_app(make_settings(f"sqlite:///{path}", data_dir))
        async with app.router.lifespan_context(app):
            ada = await Person.create(app, "ada")
            await ada.sign_in()
            idea = await ada.submit_idea("Dark mode")
            await ada.get("/settings/tokens")
            token = await create_token(ada)
            assert await readyz(app) == (200, {"ready": True, "reasons": []})
            filler = fill(data_dir)
            try:
                refused = await post_until_refused(lambda: ada.comment(idea, COMMENT))
                assert_cannot_save_with_text_kept(refused, body=COMMENT)
                new_idea = {"title": "Keyboard shortcuts", "body": IDEA_BODY, "confirmed": "1"}
                refused = await post_until_refused(lambda: ada.post("/ideas/new", new_idea))
                assert_cannot_save_with_text_kept(refused, title="Keyboard shortcuts", body=IDEA_BODY)
                async with api_client(app, token) as script:
                    answer = await post_until_refused(
                        lambda: script.post(f"/api/v1/ideas/{idea}/comments", json={"body": COMMENT})
                    )
                assert answer.status_code == 503 and "cannot save" in error_of(answer)["message"]
                status, ready = await readyz(app)
                assert status == 503 and ready["reasons"][0].startswith("the disk is full")
                assert app.state.db.health.disk_full_since is not None  # what the admin pages read
                assert (await ada.get(f"/ideas/{idea}")).status_code == 200  # reading goes on
            finally:
                filler.unlink()
            saved = await ada.comment(idea, "Saved once there is space again")
            assert saved.status_code == 303
            assert "Saved once there is space again" in shown(await ada.get(f"/ideas/{idea}"))
            assert await readyz(app) == (200, {"ready": True, "reasons": []})
            assert app.state.db.health.disk_full_since is None
    assert "Traceback" not in caplog.text
    assert caplog.text.count("cannot save: the disk is full") == 1


async def test_postgres_disk_full_answers_503_keeps_the_text_and_recovers(database_url, app, person, caplog):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite is tested on a real full filesystem above")
    ada = await person("ada")
    idea = await ada.submit_idea("Dark mode")
    await ada.get("/settings/tokens")
    token = await create_token(ada)
    with postgres_disk_full(database_url):
        for _ in range(3):
            assert_cannot_save_with_text_kept(await ada.comment(idea, COMMENT), body=COMMENT)
        new_idea = {"title": "Keyboard shortcuts", "body": IDEA_BODY, "confirmed": "1"}
        refused = await ada.post("/ideas/new", new_idea)
        assert_cannot_save_with_text_kept(refused, title="Keyboard shortcuts", body=IDEA_BODY)
        async with api_client(app, token) as script:
            answer = await script.post(f"/api/v1/ideas/{idea}/comments", json={"body": "From a script"})
        assert answer.status_code == 503 and "cannot save" in error_of(answer)["message"]
        status, ready = await readyz(app)
        assert status == 503 and ready["reasons"][0].startswith("the disk is full")
        assert app.state.db.health.disk_full_since is not None
        assert (await ada.get(f"/ideas/{idea}")).status_code == 200
    assert (await ada.comment(idea, "Saved once there is space again")).status_code == 303
    assert await readyz(app) == (200, {"ready": True, "reasons": []})
    assert "Traceback" not in caplog.text
    assert caplog.text.count("cannot save: the disk is full") == 1
