"""What portal/db_internals.py assumes of `databases` and SQLAlchemy, checked against the installed
versions: after an upgrade, a failure here names the library, its version and what changed."""

import asyncio
import inspect
import re
from importlib.metadata import version
from pathlib import Path

import asyncpg
import databases
import databases.core
import pytest
import sqlalchemy as sa
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql.compiler import SQLCompiler

from portal import db_internals as internals
from portal.db import UTCDateTime
from portal.statements import StatementRunner, postgres_dialect, sqlite_dialect

numbers = sa.table("numbers", sa.column("id", sa.Integer), sa.column("at", UTCDateTime()))


def changed(library: str, what: str) -> str:
    return f"{library} {version(library)} changed {what}: update portal/db_internals.py"


def require(condition: object, library: str, what: str) -> None:
    if not condition:
        pytest.fail(changed(library, what), pytrace=False)


def has_parameters(function: object, *names: str) -> bool:
    return set(names) <= set(inspect.signature(function).parameters)


@pytest.fixture(params=["sqlite", "postgresql"])
def dialect(request: pytest.FixtureRequest) -> Dialect:
    return sqlite_dialect() if request.param == "sqlite" else postgres_dialect()


def test_databases_keeps_the_asyncpg_pool_and_passes_options_to_it():
    backend = databases.Database("postgresql://nobody@127.0.0.1/none", reset=print)._backend
    require(hasattr(backend, "_pool"), "databases", "where the PostgreSQL backend keeps asyncpg's pool (_pool)")
    options = getattr(backend, "_get_connection_kwargs", lambda: {})()
    require(options.get("reset") is print, "databases", "how Database(url, **options) reaches asyncpg.create_pool")


async def test_the_pool_of_a_connected_database_is_asyncpgs(db):
    if db.is_sqlite:
        pytest.skip("the asyncpg pool")
    require(isinstance(internals.asyncpg_pool(db._databases), asyncpg.Pool), "databases", "Database._backend._pool")


async def test_a_databases_connection_runs_each_statement_under_its_query_lock():
    connection = databases.Database("sqlite:///:memory:").connection()
    require(isinstance(internals.query_lock(connection), asyncio.Lock), "databases", "Connection._query_lock")
    source = inspect.getsource(databases.core.Connection.fetch_all)
    require("_query_lock" in source, "databases", "the lock Connection.fetch_all takes (_query_lock)")
    require(
        isinstance(inspect.getattr_static(databases.core.Connection, "raw_connection"), property),
        "databases",
        "Connection.raw_connection",
    )


def test_databases_still_has_its_postgresql_dialect():
    require(
        issubclass(internals.DatabasesPGDialect, sa.dialects.postgresql.base.PGDialect),
        "databases",
        "databases.backends.dialects.psycopg.dialect",
    )
    dialect = postgres_dialect()
    require(hasattr(dialect, "_backslash_escapes"), "SQLAlchemy", "PGDialect._backslash_escapes")
    literal = sa.select(sa.literal("a\\b", sa.String)).compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    require("'a\\b'" in str(literal), "SQLAlchemy", "how PGDialect quotes a backslash (_backslash_escapes)")


def test_a_statement_compiles_through_the_cache_with_its_values(dialect):
    require(
        has_parameters(sa.sql.ClauseElement._compile_w_cache, "dialect", "compiled_cache", "column_keys"),
        "SQLAlchemy",
        "ClauseElement._compile_w_cache",
    )
    require(
        has_parameters(SQLCompiler.construct_params, "extracted_parameters", "escape_names", "_collected_params"),
        "SQLAlchemy",
        "SQLCompiler.construct_params",
    )
    cache: dict = {}
    for wanted in (7, 8):  # the second from the cache, with its own value
        compiled, params = internals.compile_cached(
            sa.select(numbers.c.id).where(numbers.c.id == wanted), dialect, cache
        )
        require(isinstance(compiled, SQLCompiler) and compiled.string, "SQLAlchemy", "what _compile_w_cache returns")
        require(list(params.values()) == [wanted], "SQLAlchemy", "the values construct_params gives")
    require(len(cache) == 1, "SQLAlchemy", "how _compile_w_cache fills compiled_cache")
    require(
        compiled.positiontup == list(params) and isinstance(internals.bind_processors(compiled), dict),
        "SQLAlchemy",
        "SQLCompiler.positiontup or _bind_processors",
    )


def test_expanding_and_literal_parameters_are_written_in(dialect):
    statement = (
        sa.select(numbers.c.id)
        .where(numbers.c.id.in_(sa.bindparam("ids", expanding=True)))
        .limit(sa.bindparam("size", type_=sa.Integer, literal_execute=True))
    )
    compiled = statement.compile(dialect=dialect, column_keys=[])
    require(
        compiled.post_compile_params and compiled.literal_execute_params,
        "SQLAlchemy",
        "SQLCompiler.post_compile_params/literal_execute_params",
    )
    params = compiled.construct_params(params={"ids": [1, 2, 3], "size": 5}, escape_names=False)
    expanded = internals.expand(compiled, params)
    require(
        "LIMIT 5" in expanded.sql
        and [key for key in expanded.positions if key.startswith("ids")] == ["ids_1", "ids_2", "ids_3"],
        "SQLAlchemy",
        "SQLCompiler._process_parameters_for_postcompile (ExpandedState)",
    )
    require(all(key in expanded.parameters for key in expanded.positions), "SQLAlchemy", "ExpandedState.positiontup")


def test_result_columns_and_their_converters(dialect):
    compiled = sa.select(numbers.c.id, numbers.c.at.label("moment")).compile(dialect=dialect, column_keys=[])
    columns = internals.result_columns(compiled)
    require([key for key, _ in columns] == ["id", "moment"], "SQLAlchemy", "SQLCompiler._result_columns (keyname)")
    require(isinstance(columns[1][1], UTCDateTime), "SQLAlchemy", "SQLCompiler._result_columns (type)")
    convert = internals.result_processor(columns[1][1], dialect)
    if dialect.name == "sqlite":
        moment = convert("2026-12-04 18:00:00")
        require(moment is not None and moment.utcoffset() is not None, "SQLAlchemy", "_cached_result_processor")


def test_what_the_runner_keeps_stays_with_the_compiled_statement():
    compiled = sa.select(numbers.c.id).compile(dialect=sqlite_dialect())
    require(not hasattr(type(compiled), "__slots__") or hasattr(compiled, "__dict__"), "SQLAlchemy", "SQLCompiler")
    first = internals.keep_on_compiled(compiled, "test", [1])
    require(internals.keep_on_compiled(compiled, "test", [2]) is first, "SQLAlchemy", "SQLCompiler.__dict__")
    require(internals.kept_on_compiled(compiled, "test") == [1], "SQLAlchemy", "SQLCompiler.__dict__")


def test_the_runner_compiles_a_statement_with_in_and_limit_as_before(dialect):
    """The whole path through db_internals, as a read takes it: SQL text, arguments, converters."""
    statement = sa.select(numbers.c.id, numbers.c.at).where(numbers.c.id.in_([4, 5])).limit(3)
    sql, args, columns = StatementRunner(dialect).compile(statement)
    if dialect.name == "sqlite":
        require(
            sql.endswith("IN (?, ?)\n LIMIT ? OFFSET ?") and args == [4, 5, 3, 0], "SQLAlchemy", "compiled IN/LIMIT"
        )
    else:  # LIMIT written in (portal.statements._PostgresCompiler)
        require(sql.endswith("IN ($1, $2) \n LIMIT 3") and args == [4, 5], "SQLAlchemy", "compiled IN/LIMIT")
    require([key for key, _ in columns] == ["id", "at"], "SQLAlchemy", "the result columns of compile()")


PRIVATE_NAMES = (
    "_backend",
    "_pool",
    "_query_lock",
    "_compile_w_cache",
    "_collected_params",
    "_bind_processors",
    "_process_parameters_for_postcompile",
    "_result_columns",
    "_cached_result_processor",
    "_backslash_escapes",
    "_roundtable_\\w*",
)
# Their own attributes (self._pool_size) are not theirs.
PRIVATE = re.compile(r"(?<!\bself)\.(" + "|".join(PRIVATE_NAMES) + r")\b")


def test_nothing_else_reaches_into_those_private_parts():
    root = Path(__file__).resolve().parents[3]
    found = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for package in ("portal", "ideas", "roadmap", "contributors")
        for path in sorted((root / package).rglob("*.py"))
        if path.name != "db_internals.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if PRIVATE.search(line)
    ]
    assert not found, "use portal/db_internals.py for these:\n" + "\n".join(found)
