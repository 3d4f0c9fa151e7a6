"""An admin exports the whole portal and imports it elsewhere: every row and page comes back."""

import asyncio
import json
import re
import shutil
from pathlib import Path

import pytest

from portal.app import create_app
from portal.transfer.archive import LEFT_OUT, archived_tables
from tests.apps import make_settings
from tests.commands import run
from tests.pages import shown
from tests.people import Person
from tests.portal.transfer.instance import build_instance

_CSRF = re.compile(r'(name="csrf_token" value|name="csrf-token" content)="[^"]+"')


def export(env: dict[str, str], path: Path) -> dict:
    result = run(env, "export", str(path))
    assert result.exit_code == 0, result.output
    return json.loads(path.read_text())


def import_(env: dict[str, str], path: Path):
    return run(env, "import", str(path))


async def pages_of(app, ids: dict[str, int]) -> dict[str, str]:
    paths = ["/", "/?sort=trending", "/boards", "/boards/mobile", "/roadmap", "/changelog", "/roadmap/publications"]
    paths += [f"/ideas/{ids['dark']}", f"/ideas/{ids['twin']}", f"/releases/{ids['release']}", "/search?q=dark"]
    pages = {}
    async with Person.browsing(app) as visitor:
        for path in paths:
            response = await visitor.get(path)
            assert response.status_code == 200, path
            pages[path] = _CSRF.sub("csrf", response.text)
    return pages


def env_for(url: str, data_dir: Path) -> dict[str, str]:
    return {"DATA_DIR": str(data_dir), "DATABASE_URL": url, "ARGON2_PROFILE": "CHEAPEST"}


async def test_an_instance_goes_from_sqlite_to_postgresql_and_back_unchanged(
    tmp_path, sqlite_template, postgres_server, postgres_reset
):
    postgres_reset()
    first_url = f"sqlite:///{tmp_path / 'first.db'}"
    last_url = f"sqlite:///{tmp_path / 'last.db'}"
    shutil.copyfile(sqlite_template, tmp_path / "first.db")
    shutil.copyfile(sqlite_template, tmp_path / "last.db")

    first = create_app(make_settings(first_url, tmp_path))
    async with first.router.lifespan_context(first):
        opened: list[Person] = []

        async def person(username, *, role="member", founder=False):
            someone = await Person.create(first, username, role=role, founder=founder)
            opened.append(someone)
            await someone.sign_in()
            return someone

        ids = await build_instance(first, person)
        for someone in opened:
            await someone.close()
        pages_before = await pages_of(first, ids)

    from_sqlite = await asyncio.to_thread(export, env_for(first_url, tmp_path), tmp_path / "a.json")
    result = await asyncio.to_thread(import_, env_for(postgres_server, tmp_path), tmp_path / "a.json")
    assert result.exit_code == 0, result.output
    from_postgres = await asyncio.to_thread(export, env_for(postgres_server, tmp_path), tmp_path / "b.json")
    result = await asyncio.to_thread(import_, env_for(last_url, tmp_path), tmp_path / "b.json")
    assert result.exit_code == 0, result.output
    back_on_sqlite = await asyncio.to_thread(export, env_for(last_url, tmp_path), tmp_path / "c.json")

    assert set(from_sqlite["tables"]) == {table.name for table in archived_tables()}
    assert not set(LEFT_OUT) & set(from_sqlite["tables"])
    for name, table in from_sqlite["tables"].items():
        assert table["rows"], name
        assert from_postgres["tables"][name] == table, name
        assert back_on_sqlite["tables"][name] == table, name

    on_postgres = create_app(make_settings(postgres_server, tmp_path))
    async with on_postgres.router.lifespan_context(on_postgres):
        assert await pages_of(on_postgres, ids) == pages_before
        # Sessions stay behind, passwords do not: Linus signs in again; new rows get new ids.
        linus = Person(on_postgres, "linus", None)
        await linus.sign_in()
        assert "Dark mode for the night" in shown(await linus.get("/notifications"))
        new_idea = await linus.submit_idea("A brand new idea after the move")
        assert new_idea > ids["twin"]
        assert "A brand new idea after the move" in shown(await linus.get("/search?q=brand"))
        await linus.close()
    last = create_app(make_settings(last_url, tmp_path))
    async with last.router.lifespan_context(last):
        assert await pages_of(last, ids) == pages_before


async def test_an_instance_with_data_refuses_an_import_and_keeps_its_data(app, db, person, tmp_path, cli_env):
    archive = await asyncio.to_thread(export, cli_env, tmp_path / "empty.json")
    ada = await person("ada", role="admin")
    await ada.submit_idea("Something already here")
    before = await asyncio.to_thread(export, cli_env, tmp_path / "before.json")

    result = await asyncio.to_thread(import_, cli_env, tmp_path / "empty.json")

    assert result.exit_code == 1
    assert "This instance is not empty (it has rows in users, ideas" in result.output
    assert "roundtable db upgrade" in result.output
    after = await asyncio.to_thread(export, cli_env, tmp_path / "after.json")
    assert after["tables"] == before["tables"] != archive["tables"]


async def test_malformed_archives_name_what_is_wrong(tmp_path, cli_env, db):
    good = await asyncio.to_thread(export, cli_env, tmp_path / "good.json")
    users = good["tables"]["users"]
    member = [
        {
            "id": 1,
            "username": "ada",
            "email": "ada@example.org",
            "display_name": "Ada",
            "password_hash": None,
            "role": "member",
            "is_founder": False,
            "created_at": "2026-11-22T05:00:00+00:00",
            "unread_notifications": 0,
            "suspended_until": None,
            "suspension_reason": None,
            "email_verified_at": "2026-11-22T05:00:00+00:00",
            "email_confirmation_sent_at": None,
            "password_reset_sent_at": None,
        }[column]
        for column in users["columns"]
    ]
    users["rows"] = [member]

    def variant(change) -> dict:
        document = json.loads(json.dumps(good))
        change(document)
        return document

    def column_value(document, table, row, column, value):
        columns = document["tables"][table]["columns"]
        document["tables"][table]["rows"][row][columns.index(column)] = value

    cases = [
        (lambda d: d.update(version=2), "format version 2"),
        (lambda d: d.update(format="zip"), "not a Roundtable archive"),
        (lambda d: d.update(schema_revision="0001"), "schema revision '0001'"),
        (lambda d: d["tables"].pop("ideas"), "has no table ideas"),
        (lambda d: d["tables"].update(gadgets={"columns": [], "rows": []}), "does not know: gadgets"),
        (lambda d: d["tables"]["users"]["columns"].remove("email"), "missing: email"),
        (lambda d: column_value(d, "users", 0, "created_at", "yesterday"), "created_at should be a date and time"),
        (lambda d: column_value(d, "users", 0, "created_at", "2026-11-22T05:00:00"), "UTC offset"),
        (lambda d: column_value(d, "users", 0, "is_founder", "yes"), "is_founder should be true or false"),
        (lambda d: column_value(d, "users", 0, "id", "1"), "id should be a whole number"),
        (lambda d: column_value(d, "users", 0, "email", None), "email is empty"),
        (lambda d: d["tables"]["users"]["rows"].append(list(d["tables"]["users"]["rows"][0])), "repeats the key"),
        (lambda d: d["tables"]["users"]["rows"][0].pop(), "expected"),
        (
            lambda d: d["tables"]["votes"]["rows"].append(
                [
                    {"idea_id": 99, "user_id": 1, "created_at": "2026-11-22T05:00:00+00:00"}[c]
                    for c in d["tables"]["votes"]["columns"]
                ]
            ),
            "breaks a rule of the database",
        ),
    ]
    for change, message in cases:
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(variant(change)))
        result = await asyncio.to_thread(import_, cli_env, path)
        assert result.exit_code == 1, message
        assert "Nothing was imported." in result.output and message in result.output, (message, result.output)
    (tmp_path / "bad.json").write_text('{"format": ')
    result = await asyncio.to_thread(import_, cli_env, tmp_path / "bad.json")
    assert result.exit_code == 1 and "is not valid JSON (line 1" in result.output

    assert (await asyncio.to_thread(export, cli_env, tmp_path / "after.json"))["tables"] == good["tables"] | {
        "users": {"columns": users["columns"], "rows": []}
    }
    result = await asyncio.to_thread(import_, cli_env, tmp_path / "good.json")
    assert result.exit_code == 0, result.output


async def test_only_admins_download_the_archive(app, person, visitor):
    ada = await person("ada", role="admin")
    grace = await person("grace", role="maintainer")
    page = await ada.get("/admin/export")
    assert page.status_code == 200 and "sessions, jobs, search_documents" in shown(page)
    download = await ada.get("/admin/export/download")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith('attachment; filename="roundtable-')
    document = download.json()
    assert [
        row[document["tables"]["users"]["columns"].index("username")] for row in document["tables"]["users"]["rows"]
    ] == ["ada", "grace"]
    for someone in (grace, visitor):
        assert (await someone.get("/admin/export")).status_code == 403
        assert (await someone.get("/admin/export/download")).status_code == 403


def test_binary_dates_and_numbers_are_written_as_json_and_read_back():
    """No table holds binary yet; the day one does, its bytes travel as base64."""
    import sqlalchemy as sa

    from portal.transfer.archive import _decode, _encode, _kind

    table = sa.Table(
        "attachments",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("ratio", sa.Float, nullable=True),
    )
    content, ratio = table.c.content, table.c.ratio
    assert _kind(content) == "binary" and _kind(ratio) == "float"
    written = json.loads(json.dumps(_encode("binary", b"\x00\xffpng")))
    assert written == "AP9wbmc=" and _decode(content, "binary", written) == b"\x00\xffpng"
    for bad, message in (("not base64!", "base64"), (None, "empty")):
        with pytest.raises(ValueError, match=message):
            _decode(content, "binary", bad)
    assert _decode(ratio, "float", 3) == 3.0 and _decode(ratio, "float", None) is None
    with pytest.raises(ValueError, match="should be a number"):
        _decode(ratio, "float", float("nan"))
