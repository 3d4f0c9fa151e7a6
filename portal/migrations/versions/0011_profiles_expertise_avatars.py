"""profiles, expertise and avatars

Revision ID: 0011
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "avatars",
        sa.Column("user_id", portal.db.Id, nullable=False),
        sa.Column("content_type", sa.String(length=20), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "content_type IN ('image/png', 'image/jpeg', 'image/webp')", name=op.f("ck_avatars_content_type")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_avatars_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_avatars")),
    )
    op.create_table(
        "profile_expertise",
        sa.Column("user_id", portal.db.Id, nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_profile_expertise_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "slug", name=op.f("pk_profile_expertise")),
    )
    op.create_index(op.f("ix_profile_expertise_slug_user_id"), "profile_expertise", ["slug", "user_id"])
    op.create_table(
        "expertise_tags",
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("member_count", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("member_count >= 0", name=op.f("ck_expertise_tags_member_count_not_negative")),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_expertise_tags")),
    )
    op.create_index(op.f("ix_expertise_tags_member_count_slug"), "expertise_tags", ["member_count", "slug"])
    profiles = op.create_table(
        "profiles",
        sa.Column("user_id", portal.db.Id, nullable=False),
        sa.Column("bio", sa.Text(), server_default="", nullable=False),
        sa.Column("bio_html", sa.Text(), server_default="", nullable=False),
        sa.Column("affiliation", sa.String(length=120), server_default="", nullable=False),
        sa.Column("links", sa.JSON(), server_default="[]", nullable=False),
        sa.Column("for_hire", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("hire_services", sa.Text(), server_default="", nullable=False),
        sa.Column("hire_rates", sa.String(length=200), server_default="", nullable=False),
        sa.Column("hire_contact", sa.String(length=300), server_default="", nullable=False),
        sa.Column("avatar_version", sa.Integer(), nullable=True),
        sa.Column("ideas_shipped", sa.Integer(), server_default="0", nullable=False),
        sa.Column("accepted_answers", sa.Integer(), server_default="0", nullable=False),
        sa.Column("linked_commits", sa.Integer(), server_default="0", nullable=False),
        sa.Column("contribution_score", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_seen_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("previous_seen_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("accepted_answers >= 0", name=op.f("ck_profiles_accepted_answers_not_negative")),
        sa.CheckConstraint("ideas_shipped >= 0", name=op.f("ck_profiles_ideas_shipped_not_negative")),
        sa.CheckConstraint("linked_commits >= 0", name=op.f("ck_profiles_linked_commits_not_negative")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_profiles_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_profiles")),
    )
    op.create_index("ix_profiles_for_hire_ranking", "profiles", ["for_hire", "contribution_score", "user_id"])
    op.create_index("ix_profiles_ranking", "profiles", ["contribution_score", "user_id"])
    op.create_index(op.f("ix_comments_author_id_id"), "comments", ["author_id", "id"])
    op.create_index(op.f("ix_comments_created_at_id"), "comments", ["created_at", "id"])
    op.create_index(op.f("ix_idea_events_created_at_id"), "idea_events", ["created_at", "id"])

    # Every member gets a profile, counting the ideas of theirs that shipped already (5 points each,
    # as portal.people.contribution.WEIGHTS says).
    users = sa.table("users", sa.column("id"))
    ideas = sa.table("ideas", sa.column("author_id"), sa.column("status"))
    shipped = (
        sa.select(sa.func.count())
        .select_from(ideas)
        .where(ideas.c.author_id == users.c.id, ideas.c.status == "shipped")
        .scalar_subquery()
    )
    op.execute(
        profiles.insert().from_select(
            ["user_id", "ideas_shipped", "contribution_score"], sa.select(users.c.id, shipped, shipped * 5)
        )
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_idea_events_created_at_id"), table_name="idea_events")
    op.drop_index(op.f("ix_comments_created_at_id"), table_name="comments")
    op.drop_index(op.f("ix_comments_author_id_id"), table_name="comments")
    op.drop_index("ix_profiles_ranking", table_name="profiles")
    op.drop_index("ix_profiles_for_hire_ranking", table_name="profiles")
    op.drop_table("profiles")
    op.drop_index(op.f("ix_expertise_tags_member_count_slug"), table_name="expertise_tags")
    op.drop_table("expertise_tags")
    op.drop_index(op.f("ix_profile_expertise_slug_user_id"), table_name="profile_expertise")
    op.drop_table("profile_expertise")
    op.drop_table("avatars")
