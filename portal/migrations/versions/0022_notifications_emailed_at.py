"""notifications: when each was emailed on its own, so that a digest leaves it out

A member who switches a kind from "at once" to "daily" was sent, in the next digest, what had
reached them at once already. `emailed_at` is set when a notification's own email is composed;
digests list only notifications without it. Those emailed before now are read off the outbox.

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("emailed_at", portal.db.UTCDateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE notifications SET emailed_at ="
        " (SELECT outbox.created_at FROM outbox WHERE outbox.notification_id = notifications.id)"
        " WHERE id IN (SELECT notification_id FROM outbox WHERE notification_id IS NOT NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("emailed_at")
