"""users: whether the member confirmed their email address, and when links were emailed

A password sign-up names an address nobody has checked. Until its confirmation link is
followed, no notification is emailed there, and a provider that vouches for the same address
takes the account over (password, sessions, tokens and other providers removed) instead of
signing in to whatever account someone made with it. Members who exist already count as
confirmed: they have been receiving email at these addresses. The times the last confirmation
and password links were emailed keep a member from being sent one every minute.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

from portal.db import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email_verified_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("email_confirmation_sent_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("password_reset_sent_at", UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE users SET email_verified_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_reset_sent_at")
        batch.drop_column("email_confirmation_sent_at")
        batch.drop_column("email_verified_at")
