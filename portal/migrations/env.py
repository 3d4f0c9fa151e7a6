"""Alembic's entry point; the URL comes from portal.schema, never from a file."""

import sqlalchemy as sa
from alembic import context

import contributors.tables  # noqa: F401  (registers tables on the metadata)
import ideas.discussions.tables  # noqa: F401  (registers tables on the metadata)
import ideas.moderation.tables  # noqa: F401
import ideas.tables  # noqa: F401
import portal.accounts.tables  # noqa: F401
import portal.jobs.tables  # noqa: F401
import portal.mail.tables  # noqa: F401
import portal.mention_records  # noqa: F401
import portal.notifications.tables  # noqa: F401
import portal.people.tables  # noqa: F401
import portal.transfer.tables  # noqa: F401
import portal.webhooks.tables  # noqa: F401
import roadmap.tables  # noqa: F401
from portal.db import metadata


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
