"""feeds: an index for a discussion category's newest threads (its Atom feed)

Revision ID: 0023
Revises: 0022
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_threads_category_new", "threads", ["category_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_threads_category_new", table_name="threads")
