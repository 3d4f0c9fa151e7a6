"""The `roundtable` command, driven through click's runner, and what it leaves in the database."""

import sqlalchemy as sa
from click.testing import CliRunner

from portal import schema
from portal.accounts.tables import users
from portal.cli import main


def run(env: dict[str, str], *args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), env=env, input=input)


def users_in(database_url: str) -> list[tuple]:
    engine = sa.create_engine(schema.sync_url(database_url))
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(users.c.username, users.c.role, users.c.is_founder).order_by(users.c.id)
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def import_csv(cli_env, tmp_path, kind: str, text: str | bytes):
    """`roundtable import-csv` of `text`, written to a file first."""
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return run(cli_env, "import-csv", str(path), "--kind", kind)
