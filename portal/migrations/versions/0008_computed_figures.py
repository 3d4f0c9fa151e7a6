"""computed figures

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "computed_figures",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("computed_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_computed_figures")),
    )


def downgrade() -> None:
    op.drop_table("computed_figures")
