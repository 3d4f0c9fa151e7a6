"""jobs: who holds a job's lease; outbox: emails being sent, and those whose outcome is unknown

A job is claimed with a token of its own (host, process, random part) and a short lease that
the running process renews: another process takes over a dead one's job once the lease lapses,
and a process that lost its lease can no longer finish, retry or renew the job. An email is
marked "sending" (with the time) in a transaction of its own before the SMTP server sees it, so
that it is never sent twice; one left "sending" by a process that died becomes "unknown".

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

from portal.db import UTCDateTime

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('queued', 'sent', 'logged', 'failed')"
NEW_STATUSES = "status IN ('queued', 'sending', 'sent', 'logged', 'failed', 'unknown')"


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("lease_token", sa.String(length=200), nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("sending_since", UTCDateTime(timezone=True), nullable=True))
        batch.drop_constraint(op.f("ck_outbox_status"), type_="check")
        batch.create_check_constraint("status", NEW_STATUSES)


def downgrade() -> None:
    # Rows whose sending was cut off are given up on rather than sent again.
    op.execute("UPDATE outbox SET status = 'failed' WHERE status IN ('sending', 'unknown')")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint(op.f("ck_outbox_status"), type_="check")
        batch.create_check_constraint("status", OLD_STATUSES)
        batch.drop_column("sending_since")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("lease_token")
