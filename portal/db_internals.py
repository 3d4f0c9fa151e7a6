"""Every use Roundtable makes of a private part of `databases` or SQLAlchemy, each in one place.

portal/db.py and portal/statements.py go past the public interfaces for speed: reads straight
from asyncpg's pool, and statements compiled once and run on the driver connections (see their
docstrings for the measurements). Each reach-in below says what it relies on. An upgrade of
either library runs tests/portal/test_db_internals.py first: it checks each assumption against
the installed versions and names the one that broke ("databases X.Y changed Z: update
portal/db_internals.py"). Nothing else in the code touches these libraries' private names.

Public names that are nonetheless part of the assumptions (SQLCompiler's `string`,
`positiontup`, `bind_names`, `post_compile_params`, `literal_execute_params`;
`databases.core.Connection.raw_connection`) are used where they are needed and checked by the
same test.
"""

import asyncio
from collections.abc import Sequence
from typing import Any, NamedTuple

import databases
import databases.core
import sqlalchemy as sa
from databases.backends.dialects.psycopg import dialect as DatabasesPGDialect
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = [
    "DatabasesPGDialect",
    "Expanded",
    "asyncpg_pool",
    "bind_processors",
    "compile_cached",
    "expand",
    "keep_on_compiled",
    "kept_on_compiled",
    "no_backslash_escapes",
    "query_lock",
    "result_columns",
    "result_processor",
]

# --- databases (0.9) ----------------------------------------------------------------------------
# DatabasesPGDialect (imported above from databases.backends.dialects.psycopg, not a public
# module): the PostgreSQL dialect `databases` compiles with (its Numeric and Float handling);
# portal.statements subclasses it so that statements compile as `databases` would compile them.


def asyncpg_pool(database: databases.Database) -> Any:
    """asyncpg's pool behind a connected PostgreSQL `databases.Database`.

    Relies on: `Database._backend` is the PostgresBackend, which keeps the pool that
    `asyncpg.create_pool(**options)` returned in `_pool` (None until connect()). Options given
    to `databases.Database(url, **options)` (`reset=`) reach create_pool unchanged.
    """
    return database._backend._pool


def query_lock(connection: databases.core.Connection) -> asyncio.Lock:
    """The lock a `databases` Connection holds around each statement it runs.

    Relies on: `databases.core.Connection._query_lock` is an asyncio.Lock taken by every
    execute/fetch; a statement run on `connection.raw_connection` takes it too, so that it never
    overlaps one `databases` runs on the same connection (a transaction's BEGIN, COMMIT).
    """
    return connection._query_lock


# --- SQLAlchemy (2.1) ---------------------------------------------------------------------------


def no_backslash_escapes(dialect: Dialect) -> None:
    """A PostgreSQL dialect that writes string literals as standard_conforming_strings wants them.

    Relies on: PGDialect reads `_backslash_escapes` (set from the server on connect by an
    engine, which `databases` never runs) when it quotes a literal.
    """
    dialect._backslash_escapes = False


def compile_cached(statement: ClauseElement, dialect: Dialect, cache: Any) -> tuple[SQLCompiler, dict[str, Any]]:
    """The statement compiled through SQLAlchemy's own compiled cache, and its parameters.

    Relies on: `ClauseElement._compile_w_cache(dialect, compiled_cache=, column_keys=)` returns
    (compiled, extracted_parameters, collected_parameters, cache_stats), as an Engine's execute
    uses it; `SQLCompiler.construct_params(extracted_parameters=, escape_names=,
    _collected_params=)` gives the values of this statement's bind parameters, by name.
    """
    compiled, extracted, collected, _ = statement._compile_w_cache(dialect, compiled_cache=cache, column_keys=[])
    params = compiled.construct_params(extracted_parameters=extracted, escape_names=False, _collected_params=collected)
    return compiled, params


def bind_processors(compiled: SQLCompiler) -> dict[str, Any]:
    """What turns each bind parameter's value (by its name in `positiontup`) into the driver's.

    Relies on: `SQLCompiler._bind_processors`, a dict of the parameters that have a converter.
    """
    return compiled._bind_processors


class Expanded(NamedTuple):
    sql: str
    positions: Sequence[str]
    parameters: dict[str, Any]
    processors: dict[str, Any]


def expand(compiled: SQLCompiler, params: dict[str, Any]) -> Expanded:
    """The SQL with expanding (IN) and literal (LIMIT) parameters written for these values.

    Relies on: `SQLCompiler._process_parameters_for_postcompile(params)` returns an ExpandedState
    with `statement`, `positiontup`, `parameters` and `processors` (the converters of the
    parameters it added); bind_processors() holds the others'.
    """
    state = compiled._process_parameters_for_postcompile(params)
    return Expanded(
        state.statement, state.positiontup, state.parameters, {**compiled._bind_processors, **state.processors}
    )


def result_columns(compiled: SQLCompiler) -> list[tuple[str, Any]]:
    """(key, type) of each column of a compiled SELECT or RETURNING, in order.

    Relies on: `SQLCompiler._result_columns`, entries with `keyname` and `type`.
    """
    return [(entry.keyname, entry.type) for entry in compiled._result_columns]


def result_processor(column_type: sa.types.TypeEngine, dialect: Dialect) -> Any:
    """What turns a column's driver value into its Python value on `dialect` (None: nothing to do).

    Relies on: `TypeEngine._cached_result_processor(dialect, coltype)`, the per-dialect cached
    result_processor() (a TypeDecorator's wrapping its impl's).
    """
    return column_type._cached_result_processor(dialect, None)


def kept_on_compiled(compiled: SQLCompiler, name: str) -> Any:
    """What keep_on_compiled() put on `compiled` under `name`, or None."""
    return compiled.__dict__.get(f"_roundtable_{name}")


def keep_on_compiled(compiled: SQLCompiler, name: str, value: Any) -> Any:
    """Keep `value` with a compiled statement for as long as it lives (SQLAlchemy's cache, or
    portal.statements' kept statements); returns what is kept under `name` (the first value).

    Relies on: SQLCompiler instances have a `__dict__` (no __slots__) and no attribute of their
    own starting with "_roundtable".
    """
    return compiled.__dict__.setdefault(f"_roundtable_{name}", value)
