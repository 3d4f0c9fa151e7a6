import sqlalchemy as sa

from portal.db import Id, UTCDateTime, metadata

# Work that must happen after a response (emails, webhook deliveries, repository syncs), kept in the
# database so that it survives a restart and is shared by every worker process and machine.
jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    # At most one unfinished job per key (a digest per member and day, a sync per repository).
    sa.Column("unique_key", sa.String(200), nullable=True, unique=True),
    sa.Column("run_at", UTCDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    # The lease: who runs the job (host:pid:a token made for each claim), until when unless renewed.
    sa.Column("locked_until", UTCDateTime, nullable=True),
    sa.Column("lease_token", sa.String(200), nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    sa.Column("failed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index(
        "ix_jobs_due",
        "run_at",
        sqlite_where=sa.text("finished_at IS NULL"),
        postgresql_where=sa.text("finished_at IS NULL"),
    ),
)
