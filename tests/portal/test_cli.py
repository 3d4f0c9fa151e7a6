"""The `roundtable` command, driven through click's runner on the test database."""

import asyncio
import re
from pathlib import Path

import click
import httpx
import pytest
import sqlalchemy as sa

from portal import schema
from portal.app import create_app
from portal.cli import main
from tests.apps import make_settings
from tests.commands import run, users_in


def test_the_server_refuses_an_out_of_date_schema_and_names_the_command(empty_database_url, tmp_path):
    env = {"DATA_DIR": str(tmp_path), "DATABASE_URL": empty_database_url}
    check = run(env, "db", "check")
    assert check.exit_code == 1
    assert "has no schema yet" in check.output and "roundtable db upgrade" in check.output

    app = create_app(make_settings(empty_database_url, tmp_path))

    async def start() -> None:
        async with app.router.lifespan_context(app):
            pass

    with pytest.raises(schema.SchemaOutOfDate, match="roundtable db upgrade"):
        asyncio.run(start())

    upgraded = run(env, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert run(env, "db", "check").exit_code == 0
    asyncio.run(start())


def test_the_first_admin_is_created_from_the_command_line(cli_env, database_url):
    result = run(
        cli_env,
        "users",
        "create",
        "Ada",
        "--email",
        "ada@example.org",
        "--admin",
        "--founder",
        input="a strong password\na strong password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin ada (founder)" in result.output
    maintainer = run(
        cli_env,
        "users",
        "create",
        "grace",
        "--email",
        "grace@example.org",
        "--maintainer",
        "--password",
        "another password",
    )
    assert maintainer.exit_code == 0, maintainer.output
    assert users_in(database_url) == [("ada", "admin", True), ("grace", "maintainer", False)]


def test_bad_arguments_get_a_clear_message_and_create_nobody(cli_env, database_url):
    bad = run(cli_env, "users", "create", "x", "--email", "nope", "--password", "short")
    assert bad.exit_code == 1
    assert "username: Use 3 to 32 letters" in bad.output
    assert "email: That does not look like an email" in bad.output
    assert "password: Choose a password of at least 12" in bad.output
    created = run(cli_env, "users", "create", "linus", "--email", "l@example.org", "--password", "long enough pw")
    assert created.exit_code == 0
    taken = run(cli_env, "users", "create", "linus", "--email", "other@example.org", "--password", "long enough pw")
    assert taken.exit_code == 1 and "is taken" in taken.output
    assert users_in(database_url) == [("linus", "member", False)]


def test_roles_change_from_the_command_line(cli_env, database_url):
    run(cli_env, "users", "create", "grace", "--email", "g@example.org", "--password", "long enough pw")
    changed = run(cli_env, "users", "set-role", "grace", "maintainer", "--founder")
    assert changed.exit_code == 0, changed.output
    assert users_in(database_url) == [("grace", "maintainer", True)]
    missing = run(cli_env, "users", "set-role", "nobody", "admin")
    assert missing.exit_code == 1 and "no member called" in missing.output
    wrong = run(cli_env, "users", "set-role", "grace", "emperor")
    assert wrong.exit_code == 2 and "emperor" in wrong.output


def test_demo_data_has_a_founder_a_maintainer_members_ideas_votes_and_comments(cli_env, database_url):
    result = run(cli_env, "demo")
    assert result.exit_code == 0, result.output
    assert "roundtable-demo" in result.output
    people = users_in(database_url)
    assert ("ada", "admin", True) in people and ("grace", "maintainer", False) in people
    assert len(people) >= 5
    engine = sa.create_engine(schema.sync_url(database_url))
    with engine.connect() as connection:
        ideas, votes, comments, mismatched = connection.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM ideas), (SELECT count(*) FROM votes),"
                " (SELECT count(*) FROM comments), (SELECT count(*) FROM ideas i"
                " WHERE i.vote_count <> (SELECT count(*) FROM votes v WHERE v.idea_id = i.id))"
            )
        ).one()
    engine.dispose()
    assert ideas >= 5 and votes > 0 and comments > 0 and mismatched == 0
    assert "loaded already" in run(cli_env, "demo").output


def test_a_bad_setting_is_reported_without_a_traceback(tmp_path):
    result = run({"DATA_DIR": str(tmp_path), "DATABASE_URL": "mysql://x"}, "db", "check")
    assert result.exit_code == 1 and "DATABASE_URL: expected sqlite:///path or postgresql://" in result.output
    result = run({"DATA_DIR": str(tmp_path), "SESSION_MAX_AGE": "-5"}, "db", "check")
    assert result.exit_code == 1 and "SESSION_MAX_AGE" in result.output


async def test_a_served_worker_moves_what_it_started_with_out_of_the_collectors_way(cli_env, monkeypatch):
    """`roundtable serve` runs served_app(): once started, a full garbage collection no longer
    walks the ~120,000 objects every worker holds for good (it had held each worker 35-65 ms)."""
    import gc

    from portal.cli import served_app

    for name, value in cli_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SECRET_KEY", "not-a-secret-only-for-tests")
    app = served_app()
    assert gc.get_freeze_count() == 0
    try:
        async with app.router.lifespan_context(app):
            assert gc.get_freeze_count() > 50_000
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as client:
                assert (await client.get("/")).status_code == 200
    finally:
        gc.unfreeze()


# `roundtable` then its words: a command, a group's command, and options (`--demo`, `--admin | --maintainer`).
_NAMED_COMMAND = re.compile(r"(?<![\w.-])roundtable((?: +(?:[a-z][a-z-]*|\[?--[a-z-]+(?:/--[a-z-]+)?\]?|\|))+)")
_DOCUMENTS = ("README.md", "portal/demo.py")


_FILE_KINDS = ("csv", "json")


def named_commands(text: str) -> dict[str, set[str]]:
    """Each `roundtable ...` in `text`, with the kinds of file (CSV, JSON) the rest of its line says it takes."""
    named: dict[str, set[str]] = {}
    for match in _NAMED_COMMAND.finditer(text):
        line = text[match.end() :].split("\n", 1)[0].split("roundtable ", 1)[0]
        said = named.setdefault(match.group(0), set())
        said.update(kind for kind in _FILE_KINDS if re.search(rf"\b{kind}\b", line, re.IGNORECASE))
    return named


def unknown_in(named: str, file_kinds: set[str] = frozenset()) -> str | None:
    """What in `roundtable words --options` the CLI does not have (None: it has all of it), with
    the kinds of file it is said to take, which its help must name."""
    command = main
    words = named.split()[1:]
    while words and isinstance(command, click.Group) and not words[0].startswith(("-", "[", "|")):
        found = command.get_command(click.Context(command), words[0])
        if found is None:
            return f"no command {words[0]!r}"
        command, words = found, words[1:]
    if isinstance(command, click.Group):
        return "a group, not a command"
    options = {name for parameter in command.params for name in (*parameter.opts, *parameter.secondary_opts)}
    for word in words:
        for option in re.findall(r"--[a-z-]+", word):
            if option not in options:
                return f"no option {option}"
    for kind in file_kinds:
        if not re.search(rf"\b{kind}\b", command.help or "", re.IGNORECASE):
            return f"its help says nothing of {kind.upper()} files"
    return None


def test_every_roundtable_command_the_readme_and_the_demo_name_exists():
    root = Path(__file__).parents[2]
    wrong, checked = {}, 0
    for name in _DOCUMENTS:
        for text, file_kinds in named_commands((root / name).read_text()).items():
            checked += 1
            if problem := unknown_in(text, file_kinds):
                wrong[text] = (name, problem)
    assert wrong == {}
    assert checked > 15
    assert unknown_in("roundtable imports") and unknown_in("roundtable serve --nope") and unknown_in("roundtable db")


def test_every_command_runs_with_the_domains_of_the_app_in_use():
    """Notifications made by a command (repos sync ships a hidden idea) ask the domains whether
    what they are about is hidden, as they do in requests and jobs."""
    import click
    from click.testing import CliRunner

    from portal.cli import main
    from portal.domains import in_use

    seen = []

    @click.command("probe-assembly")
    def probe() -> None:
        async def inside() -> None:
            seen.append(in_use())

        asyncio.run(inside())

    main.add_command(probe)
    try:
        result = CliRunner().invoke(main, ["probe-assembly"])
    finally:
        main.commands.pop("probe-assembly")
    assert result.exit_code == 0, result.output
    [assembly] = seen
    assert assembly is not None and {"idea", "thread"} <= set(assembly.hidden_checks)
