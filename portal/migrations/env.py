"""Alembic's entry point; the URL comes from portal.schema, never from a file."""

import sqlalchemy as sa
from alembic import context

from portal import mention_records
from portal.app import DOMAINS
from portal.db import metadata
from portal.jobs import tables as job_tables

# The schema: the shell's own tables and those of every domain the app is built from (each
# Domain names its table modules; importing them puts their tables on the metadata).
SCHEMA_MODULES = [job_tables, mention_records, *(module for domain in DOMAINS for module in domain.tables)]


def run_migrations() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url"), poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Leave to hand-written migrations the tables whose shape differs by database (search)."""
    table_name = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", "")
    return not (table_name or "").startswith("search_documents")


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=_include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
