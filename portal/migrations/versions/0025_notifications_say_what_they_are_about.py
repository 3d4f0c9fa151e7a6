"""notifications: what each is about, as kind and id given by the domain, not read off its link

`about` ("idea:12", "thread:7") was read off a notification's path with a pattern, and the post
an email quotes off the path's anchor ("#comment-3"). Now the domain that makes a notification
says both: about_kind and about_id (the idea or discussion whose title the subject quotes),
post_kind and post_id (the comment or reply in it). Rows stored before are read off their
paths once, here.

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# What the paths notifications point at say: /ideas/12, /ideas/12#comment-3, /discussions/7#reply-9.
# (column pair, kind, the text before the number, whether that text starts the path)
_READ_OFF_PATHS = (
    ("about", "idea", "/ideas/", True),
    ("about", "thread", "/discussions/", True),
    ("post", "comment", "#comment-", False),
    ("post", "reply", "#reply-", False),
)


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("about_kind", sa.String(20), nullable=True))
        batch.add_column(sa.Column("about_id", _ID, nullable=True))
        batch.add_column(sa.Column("post_kind", sa.String(20), nullable=True))
        batch.add_column(sa.Column("post_id", _ID, nullable=True))
        batch.create_index(op.f("ix_notifications_about_kind_about_id"), ["about_kind", "about_id"])
    sqlite = op.get_bind().dialect.name == "sqlite"
    for pair, kind, before, starts in _READ_OFF_PATHS:
        if sqlite:
            # CAST reads the leading digits of '12#comment-3' as 12.
            number = f"CAST(substr(path, instr(path, '{before}') + {len(before)}) AS INTEGER)"
            matches = f"path GLOB '{'' if starts else '*'}{before}[0-9]*'"
        else:
            number = f"CAST(substring(path from '{'^' if starts else ''}{before}([0-9]+)') AS BIGINT)"
            matches = f"path ~ '{'^' if starts else ''}{before}[0-9]'"
        op.execute(f"UPDATE notifications SET {pair}_kind = '{kind}', {pair}_id = {number} WHERE {matches}")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_index(op.f("ix_notifications_about"))
        batch.drop_column("about")


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("about", sa.String(40), nullable=True))
        batch.create_index(op.f("ix_notifications_about"), ["about"])
    op.execute(
        "UPDATE notifications SET about = about_kind || ':' || CAST(about_id AS TEXT) WHERE about_kind IS NOT NULL"
    )
    with op.batch_alter_table("notifications") as batch:
        batch.drop_index(op.f("ix_notifications_about_kind_about_id"))
        batch.drop_column("post_id")
        batch.drop_column("post_kind")
        batch.drop_column("about_id")
        batch.drop_column("about_kind")
