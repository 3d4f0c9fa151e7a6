"""merging, following and notifications

Revision ID: 0004
Revises: 0003
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "board_follows",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("board_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"], ["boards.id"], name=op.f("fk_board_follows_board_id_boards"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_board_follows_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "board_id", name=op.f("pk_board_follows")),
    )
    with op.batch_alter_table("board_follows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_board_follows_board_id_user_id"), ["board_id", "user_id"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('idea', 'comment', 'response', 'status', 'merge')", name=op.f("ck_notifications_kind")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_notifications_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_user_id_id"), ["user_id", "id"], unique=False)

    op.create_table(
        "idea_follows",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("idea_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("following", sa.Boolean(), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["ideas.id"], name=op.f("fk_idea_follows_idea_id_ideas"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_idea_follows_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "idea_id", name=op.f("pk_idea_follows")),
    )
    with op.batch_alter_table("idea_follows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idea_follows_idea_id_following_user_id"), ["idea_id", "following", "user_id"], unique=False
        )

    with op.batch_alter_table("idea_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("related_idea_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_idea_events_related_idea_id_ideas"),
            "ideas",
            ["related_idea_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.drop_constraint(op.f("ck_idea_events_kind"), type_="check")
        batch_op.create_check_constraint("kind", "kind IN ('status', 'merge', 'merged_in')")

    with op.batch_alter_table("ideas", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("merged_into_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.create_foreign_key(batch_op.f("fk_ideas_merged_into_id_ideas"), "ideas", ["merged_into_id"], ["id"])

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unread_notifications", sa.Integer(), server_default="0", nullable=False))

    # Authors, voters and commenters of existing ideas follow them, as they would have.
    connection = op.get_bind()
    now = datetime.now(UTC)
    connection.execute(
        sa.text(
            "INSERT INTO idea_follows (user_id, idea_id, following, created_at)"
            " SELECT user_id, idea_id, true, :now FROM ("
            "  SELECT author_id AS user_id, id AS idea_id FROM ideas WHERE author_id IS NOT NULL"
            "  UNION SELECT user_id, idea_id FROM votes"
            "  UNION SELECT author_id, idea_id FROM comments WHERE author_id IS NOT NULL) AS people"
        ),
        {"now": now.replace(tzinfo=None) if connection.dialect.name == "sqlite" else now},
    )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("unread_notifications")

    with op.batch_alter_table("ideas", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_ideas_merged_into_id_ideas"), type_="foreignkey")
        batch_op.drop_column("merged_into_id")

    with op.batch_alter_table("idea_events", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_idea_events_kind"), type_="check")
        batch_op.create_check_constraint("kind", "kind IN ('status')")
        batch_op.drop_constraint(batch_op.f("fk_idea_events_related_idea_id_ideas"), type_="foreignkey")
        batch_op.drop_column("related_idea_id")

    with op.batch_alter_table("idea_follows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idea_follows_idea_id_following_user_id"))

    op.drop_table("idea_follows")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_user_id_id"))

    op.drop_table("notifications")
    with op.batch_alter_table("board_follows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_board_follows_board_id_user_id"))

    op.drop_table("board_follows")
