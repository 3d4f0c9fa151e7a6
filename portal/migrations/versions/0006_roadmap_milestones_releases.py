"""roadmap, milestones, releases, responsiveness

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "milestones",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestones")),
        sa.UniqueConstraint("name", name=op.f("uq_milestones_name")),
    )
    op.create_table(
        "releases",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("released_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("notes_html", sa.Text(), nullable=False),
        sa.Column("shipped_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
        sa.UniqueConstraint("version", name=op.f("uq_releases_version")),
    )
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_releases_shipped_at_id"), ["shipped_at", "id"], unique=False)

    op.create_table(
        "roadmap_follows",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_roadmap_follows_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_roadmap_follows")),
    )
    op.create_table(
        "roadmap_publications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("published_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("summary_html", sa.Text(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("published_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_roadmap_publications_published_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_publications")),
    )
    op.create_table(
        "release_ideas",
        sa.Column("release_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("idea_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["ideas.id"], name=op.f("fk_release_ideas_idea_id_ideas"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_release_ideas_release_id_releases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("release_id", "idea_id", name=op.f("pk_release_ideas")),
    )
    with op.batch_alter_table("release_ideas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_release_ideas_idea_id"), ["idea_id"], unique=False)

    op.create_table(
        "roadmap_items",
        sa.Column("idea_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("column", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("milestone_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("note", sa.String(length=500), server_default="", nullable=False),
        sa.CheckConstraint("\"column\" IN ('planned', 'in_progress', 'shipped')", name=op.f("ck_roadmap_items_column")),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["ideas.id"], name=op.f("fk_roadmap_items_idea_id_ideas"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestones.id"],
            name=op.f("fk_roadmap_items_milestone_id_milestones"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("idea_id", name=op.f("pk_roadmap_items")),
    )
    with op.batch_alter_table("ideas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_response_at", portal.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_ideas_created_at"), ["created_at"], unique=False)

    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_kind"), type_="check")
        batch_op.create_check_constraint(
            "kind", "kind IN ('idea', 'comment', 'response', 'status', 'merge', 'roadmap', 'release')"
        )
    # The first maintainer response of existing ideas, from what is stored: official comments
    # and status changes by maintainers.
    op.execute(
        "UPDATE ideas SET first_response_at = (SELECT min(moment) FROM ("
        " SELECT c.created_at AS moment FROM comments c JOIN users u ON u.id = c.author_id"
        "  WHERE c.idea_id = ideas.id AND u.role IN ('maintainer', 'admin')"
        " UNION ALL SELECT e.created_at FROM idea_events e JOIN users u ON u.id = e.actor_id"
        "  WHERE e.idea_id = ideas.id AND u.role IN ('maintainer', 'admin')) AS responses)"
    )


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_kind"), type_="check")
        batch_op.create_check_constraint("kind", "kind IN ('idea', 'comment', 'response', 'status', 'merge')")
    with op.batch_alter_table("ideas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ideas_created_at"))
        batch_op.drop_column("first_response_at")

    op.drop_table("roadmap_items")
    with op.batch_alter_table("release_ideas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_release_ideas_idea_id"))

    op.drop_table("release_ideas")
    op.drop_table("roadmap_publications")
    op.drop_table("roadmap_follows")
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_releases_shipped_at_id"))

    op.drop_table("releases")
    op.drop_table("milestones")
