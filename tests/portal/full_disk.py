"""PostgreSQL's full disk, simulated: a trigger on every table raises the error a full disk raises
(SQLSTATE 53100, "could not extend file"), since filling the test server's disk would stop every other test."""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from portal import schema
from portal.db import metadata


@contextmanager
def postgres_disk_full(database_url: str) -> Iterator[None]:
    """Every write fails as on a full disk, until the end of the block."""
    with psycopg.connect(schema.sync_url(database_url).replace("+psycopg", ""), autocommit=True) as admin:
        admin.execute(
            "CREATE FUNCTION roundtable_test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'could not extend file \"base/16384/16385\": No space left on device' "
            "USING ERRCODE = '53100'; END $$"
        )
        try:
            for table in metadata.sorted_tables:
                admin.execute(
                    sql.SQL(
                        "CREATE TRIGGER roundtable_test_disk_full BEFORE INSERT OR UPDATE OR DELETE ON {} "
                        "FOR EACH ROW EXECUTE FUNCTION roundtable_test_disk_full()"
                    ).format(sql.Identifier(table.name))
                )
            yield
        finally:
            admin.execute("DROP FUNCTION roundtable_test_disk_full() CASCADE")
