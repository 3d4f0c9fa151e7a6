"""reactions, tags, editing and deleting

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tags",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("slug", name=op.f("uq_tags_slug")),
    )
    op.create_table(
        "idea_reactions",
        sa.Column("idea_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reaction", sa.String(length=16), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reaction IN ('thumbs_up', 'thumbs_down', 'laugh', 'hooray', 'confused', 'heart', 'rocket', 'eyes')",
            name=op.f("ck_idea_reactions_reaction"),
        ),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["ideas.id"], name=op.f("fk_idea_reactions_idea_id_ideas"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_idea_reactions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("idea_id", "user_id", "reaction", name=op.f("pk_idea_reactions")),
    )
    op.create_table(
        "idea_tags",
        sa.Column("idea_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tag_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(["idea_id"], ["ideas.id"], name=op.f("fk_idea_tags_idea_id_ideas"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name=op.f("fk_idea_tags_tag_id_tags"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("idea_id", "tag_id", name=op.f("pk_idea_tags")),
    )
    with op.batch_alter_table("idea_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idea_tags_tag_id_idea_id"), ["tag_id", "idea_id"], unique=False)

    op.create_table(
        "comment_reactions",
        sa.Column("comment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reaction", sa.String(length=16), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reaction IN ('thumbs_up', 'thumbs_down', 'laugh', 'hooray', 'confused', 'heart', 'rocket', 'eyes')",
            name=op.f("ck_comment_reactions_reaction"),
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name=op.f("fk_comment_reactions_comment_id_comments"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_comment_reactions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("comment_id", "user_id", "reaction", name=op.f("pk_comment_reactions")),
    )
    with op.batch_alter_table("comment_reactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_comment_reactions_user_id_comment_id"), ["user_id", "comment_id"], unique=False
        )

    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reaction_counts", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(sa.Column("edited_at", portal.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("edited_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.add_column(sa.Column("deleted_at", portal.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_comments_edited_by_id_users"), "users", ["edited_by_id"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("ideas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reaction_counts", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(sa.Column("edited_at", portal.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table("idea_events") as batch_op:
        batch_op.drop_constraint(op.f("ck_idea_events_kind"), type_="check")
        batch_op.create_check_constraint("kind", "kind IN ('status', 'merge', 'merged_in', 'edit')")


def downgrade() -> None:
    with op.batch_alter_table("idea_events") as batch_op:
        batch_op.drop_constraint(op.f("ck_idea_events_kind"), type_="check")
        batch_op.create_check_constraint("kind", "kind IN ('status', 'merge', 'merged_in')")
    with op.batch_alter_table("ideas", schema=None) as batch_op:
        batch_op.drop_column("edited_at")
        batch_op.drop_column("reaction_counts")

    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_comments_edited_by_id_users"), type_="foreignkey")
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("edited_by_id")
        batch_op.drop_column("edited_at")
        batch_op.drop_column("reaction_counts")

    with op.batch_alter_table("comment_reactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_reactions_user_id_comment_id"))

    op.drop_table("comment_reactions")
    with op.batch_alter_table("idea_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idea_tags_tag_id_idea_id"))

    op.drop_table("idea_tags")
    op.drop_table("idea_reactions")
    op.drop_table("tags")
