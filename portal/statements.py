"""Running SQLAlchemy Core statements on the driver connections that `databases` holds.

`databases` compiles every statement afresh on every call, and on SQLite takes three or more
trips to aiosqlite's thread per statement; its rows then convert each value on every access.
Here a statement is compiled once per shape (SQLAlchemy's own statement cache, keyed as
SQLAlchemy's engine keys it), sent in one call (portal.sqlite's connections, asyncpg's
prepared-statement cache), and each row's values are converted once into a `Row`.
`databases` still owns the connections, the pool and the transactions.
"""

import functools
import inspect
from collections.abc import Callable
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy import util
from sqlalchemy.dialects.sqlite import pysqlite
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from portal import db_internals as internals
from portal.db_internals import DatabasesPGDialect

# The one way to keep a statement (building one and working out its cache key cost more than
# running a small query, on every request): a function decorated with @kept, or with
# @kept_by_shape when what the statement looks like depends on its arguments. The statement is
# built once (per shape), and Database compiles it once and runs it with each call's values. Not
# functools.cache, nor a module-level statement: a reader finds every kept statement by these names.


def kept(build: Callable[..., ClauseElement]) -> Callable[..., tuple[ClauseElement, dict[str, Any]]]:
    """A statement built once, on first use, and run with new values each time.

    `build` is called once with a bindparam() named after each of its parameters in place of the
    values (a parameter annotated `list` is an expanding one, for IN); the decorated function
    returns the statement and the values, for `db.fetch_all(*statement(...))`.
    """
    signature = inspect.signature(build)

    @kept_by_shape
    def statement() -> ClauseElement:
        return build(*(_bound(name, parameter.annotation) for name, parameter in signature.parameters.items()))

    @functools.wraps(build)
    def bind(*args: Any, **kwargs: Any) -> tuple[ClauseElement, dict[str, Any]]:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return statement(), bound.arguments

    return bind


def kept_by_shape(build: Callable[..., Any]) -> Callable[..., Any]:
    """A statement built once for each shape: `build`'s arguments say what it looks like (a
    dialect's name, which filters apply), its bindparam()s take the values, as in
    `db.fetch_all(statement(shape...), values)` (`{}` for a statement without any). `build` may
    return several statements together (a tuple, a dataclass)."""
    return functools.cache(build)


def _bound(name: str, annotation: Any) -> sa.BindParameter:
    if getattr(annotation, "__origin__", None) is list:
        return sa.bindparam(name, expanding=True)
    # Other types come from the column a value is compared with; a bare number (LIMIT) needs its own.
    return sa.bindparam(name, type_=sa.Integer) if annotation is int else sa.bindparam(name)


class Row(dict):
    """A result row: `row["title"]`, `row[0]`, `row[ideas.c.title]` and, for templates, `row.title`."""

    __slots__ = ()

    def __missing__(self, key: Any) -> Any:
        # Called only when a key is not a column name: a position, or a Column object.
        if isinstance(key, int):
            return list(self.values())[key]
        name = getattr(key, "name", None)
        if isinstance(name, str) and name in self:
            return self[name]
        raise KeyError(key)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def _mapping(self) -> "Row":
        return self


def _is_read(statement: ClauseElement, sql: str) -> bool:
    """A statement SQLite may stop half-way and run again: it writes nothing."""
    return not statement.is_dml and sql.lstrip()[:7].upper().startswith(("SELECT", "WITH", "EXPLAIN", "PRAGMA"))


class _PostgresCompiler(DatabasesPGDialect.statement_compiler):
    def limit_clause(self, select: Any, **kw: Any) -> str:
        # LIMIT and OFFSET written into the SQL text, not sent as parameters: PostgreSQL plans a
        # prepared statement once (a generic plan) only when the plan it would keep knows how many
        # rows are asked for; with LIMIT $n it plans every execution again (~0.7 ms for a page).
        return super().limit_clause(select, **{**kw, "literal_execute": True})


class _PostgresDialect(DatabasesPGDialect):
    # The dialect `databases` compiles with, made cacheable; asyncpg takes $1, $2... parameters.
    supports_statement_cache = True
    statement_compiler = _PostgresCompiler


def sqlite_dialect() -> Dialect:
    return pysqlite.dialect(paramstyle="qmark")


def postgres_dialect() -> Dialect:
    dialect = _PostgresDialect(paramstyle="numeric_dollar")
    dialect.implicit_returning = True
    dialect.supports_native_enum = True
    dialect.supports_native_decimal = True
    internals.no_backslash_escapes(dialect)
    return dialect


# How many sets of LIMIT/OFFSET values one compiled statement keeps its SQL text for (a page
# size, a few offsets); others are written in at each execution.
_LITERAL_VARIANTS = 16


class StatementRunner:
    """Compiles with a bounded cache and runs statements on one kind of driver connection."""

    def __init__(self, dialect: Dialect, cache_size: int = 1000) -> None:
        self.dialect = dialect
        self._cache = util.LRUCache(cache_size)
        self._kept_statements: util.LRUCache = util.LRUCache(cache_size)
        self._sqlite = dialect.name == "sqlite"

    def compile(
        self, statement: ClauseElement, values: dict[str, Any] | None = None
    ) -> tuple[str, list[Any], list[tuple[str, Any]]]:
        """The SQL text, its positional parameters and the (key, converter) of each result column.

        With `values`, `statement` is one built once and kept (its bindparam()s take `values`):
        it is compiled once for as long as it lives, without even computing its cache key.
        """
        if values is None:
            compiled, params = internals.compile_cached(statement, self.dialect, self._cache)
        else:
            compiled = self._kept(statement)
            params = compiled.construct_params(params=values, escape_names=False)
        sql, positions, processors = compiled.string, compiled.positiontup, internals.bind_processors(compiled)
        if compiled.post_compile_params:
            sql, positions, params, processors = internals.expand(compiled, params)
        elif compiled.literal_execute_params:
            sql, positions, processors = self._with_literals(compiled, params)
        args = [processors[key](params[key]) if key in processors else params[key] for key in positions or ()]
        return sql, args, self._result_columns(compiled)

    @staticmethod
    def _with_literals(compiled: SQLCompiler, params: dict[str, Any]) -> tuple[str, Any, dict[str, Any]]:
        """The SQL text with the values of its literal parameters (LIMIT, OFFSET) written in, its
        positions and converters: the same for the same values, so kept for the first few of them."""
        literals = tuple(params[compiled.bind_names[bind]] for bind in compiled.literal_execute_params)
        kept = internals.keep_on_compiled(compiled, "literals", {})
        found = kept.get(literals)
        if found is None:
            expanded = internals.expand(compiled, params)
            found = (expanded.sql, expanded.positions, expanded.processors)
            if len(kept) < _LITERAL_VARIANTS:
                kept[literals] = found
        return found

    def _kept(self, statement: ClauseElement) -> SQLCompiler:
        entry = self._kept_statements.get(id(statement))
        # The statement is held with its compiled form, so its id cannot be reused by another.
        if entry is None or entry[0] is not statement:
            entry = (statement, statement.compile(dialect=self.dialect, column_keys=[]))
            self._kept_statements[id(statement)] = entry
        return entry[1]

    def _processor(self, column_type: Any) -> Any:
        """What turns a column's driver value into its Python value; None when it already is one.

        asyncpg gives a timestamp with time zone as an aware UTC datetime already.
        """
        impl = column_type.impl if isinstance(column_type, sa.TypeDecorator) else column_type
        if not self._sqlite and isinstance(impl, sa.DateTime) and impl.timezone:
            return None
        return internals.result_processor(column_type, self.dialect)

    def _result_columns(self, compiled: SQLCompiler) -> list[tuple[str, Any]]:
        columns = internals.kept_on_compiled(compiled, "columns")
        if columns is None:
            columns = [(key, self._processor(type_)) for key, type_ in internals.result_columns(compiled)]
            columns = internals.keep_on_compiled(compiled, "columns", columns)
        return columns

    async def fetch_all(self, raw: Any, statement: ClauseElement, values: dict[str, Any] | None = None) -> list[Row]:
        sql, args, columns = self.compile(statement, values)
        if self._sqlite:
            values, names = await raw.fetch(sql, args, may_stop=_is_read(statement, sql))
            return self._sqlite_rows(values, names, columns)
        return self._postgres_rows(await raw.fetch(sql, *args), columns)

    async def execute(self, raw: Any, statement: ClauseElement, values: dict[str, Any] | None = None) -> None:
        sql, args, _ = self.compile(statement, values)
        if self._sqlite:
            await raw.fetch(sql, args, may_stop=False)
        else:
            await raw.execute(sql, *args)

    @staticmethod
    def _sqlite_rows(values: list[tuple], names: list[str], columns: list[tuple[str, Any]]) -> list[Row]:
        if not columns:  # text() without declared columns: names from the cursor
            return [Row(zip(names, row, strict=True)) for row in values]
        keys = [key for key, _ in columns]
        return _converted([Row(zip(keys, row, strict=True)) for row in values], columns)

    @staticmethod
    def _postgres_rows(values: list[asyncpg.Record], columns: list[tuple[str, Any]]) -> list[Row]:
        if not columns:
            return [Row(record.items()) for record in values]
        # asyncpg already gives Python values (aware datetimes, bools); JSON arrives as text.
        keys = [key for key, _ in columns]
        rows = [Row(zip(keys, record, strict=True)) for record in values]
        return _converted(rows, columns, only=(str, int, float))


def _converted(rows: list[Row], columns: list[tuple[str, Any]], only: tuple[type, ...] | None = None) -> list[Row]:
    """Rows with each value of a column that has a converter converted (None stays None)."""
    converters = [(key, processor) for key, processor in columns if processor is not None]
    for row in rows:
        for key, processor in converters:
            value = row[key]
            if value is not None and (only is None or isinstance(value, only)):
                row[key] = processor(value)
    return rows
