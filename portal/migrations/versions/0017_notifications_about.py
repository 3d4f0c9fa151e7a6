"""notifications: what each is about, so that hiding an idea or thread hides its title there too

A notification's subject quotes the title of the idea or discussion it is about. `about` names
that idea ("idea:12") or discussion ("thread:7"), read off the notification's path; `hidden` is
set while a moderator hides it, and the subject is then shown only to moderators and left out
of emails not yet sent.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# The paths notifications point at: /ideas/12, /ideas/12#comment-3, /discussions/7#reply-9.
_PREFIXES = (("idea", "/ideas/"), ("thread", "/discussions/"))


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("about", sa.String(40), nullable=True))
        batch.add_column(sa.Column("hidden", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.create_index(op.f("ix_notifications_about"), ["about"])
    sqlite = op.get_bind().dialect.name == "sqlite"
    for kind, prefix in _PREFIXES:
        if sqlite:
            # CAST reads the leading digits of '12#comment-3' as 12.
            number = f"CAST(substr(path, {len(prefix) + 1}) AS INTEGER)"
            matches = f"path GLOB '{prefix}[0-9]*'"
        else:
            number = f"substring(path from '^{prefix}([0-9]+)')"
            matches = f"path ~ '^{prefix}[0-9]'"
        op.execute(f"UPDATE notifications SET about = '{kind}:' || {number} WHERE {matches}")
    # Titles of ideas and discussions hidden before now.
    for kind, table in (("idea", "ideas"), ("thread", "threads")):
        op.execute(
            f"UPDATE notifications SET hidden = true WHERE about IN"
            f" (SELECT '{kind}:' || id FROM {table} WHERE hidden_at IS NOT NULL)"
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_index(op.f("ix_notifications_about"))
        batch.drop_column("hidden")
        batch.drop_column("about")
