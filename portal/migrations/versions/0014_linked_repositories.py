"""linked git repositories, commits and extensions

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "repositories",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("url_key", sa.String(length=2000), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("web_url", sa.String(length=2000), nullable=True),
        sa.Column("web_kind", sa.String(length=16), nullable=True),
        sa.Column("webhook_token", sa.String(length=64), nullable=False),
        sa.Column("ships_ideas", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("ships_ideas_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("refs", sa.JSON(), server_default="{}", nullable=False),
        sa.Column("default_branch", sa.String(length=255), nullable=True),
        sa.Column("commit_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_sync_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sync_lease_until", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_sync_ok", sa.Boolean(), nullable=True),
        sa.Column("last_sync_error", sa.Text(), nullable=True),
        sa.Column("last_sync_seconds", sa.Float(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.Column("summary", sa.String(length=300), nullable=True),
        sa.Column("search_text", sa.Text(), server_default="", nullable=False),
        sa.Column("extension", sa.JSON(), nullable=True),
        sa.Column("warnings", sa.JSON(), server_default="[]", nullable=False),
        sa.Column("readme_html", sa.Text(), nullable=True),
        sa.Column("readme_note", sa.String(length=300), nullable=True),
        sa.Column("latest_tag", sa.String(length=255), nullable=True),
        sa.Column("latest_tag_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_commit_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("activity", sa.JSON(), server_default="[]", nullable=False),
        sa.Column("contributors", sa.JSON(), server_default="[]", nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('product', 'contribution', 'extension')", name=op.f("ck_repositories_kind")),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_repositories_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["ships_ideas_by_id"],
            ["users.id"],
            name=op.f("fk_repositories_ships_ideas_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repositories")),
        sa.UniqueConstraint("url_key", name=op.f("uq_repositories_url_key")),
    )
    with op.batch_alter_table("repositories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repositories_kind_id"), ["kind", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_repositories_last_sync_at"), ["last_sync_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_repositories_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "extension_ideas",
        sa.Column("repository_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("idea_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["ideas.id"], name=op.f("fk_extension_ideas_idea_id_ideas"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repositories.id"],
            name=op.f("fk_extension_ideas_repository_id_repositories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("repository_id", "idea_id", name=op.f("pk_extension_ideas")),
    )
    with op.batch_alter_table("extension_ideas", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_extension_ideas_idea_id_repository_id"), ["idea_id", "repository_id"], unique=False
        )

    op.create_table(
        "repo_commits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("repository_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("author_email", sa.String(length=254), nullable=False),
        sa.Column("authored_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("branch", sa.String(length=255), nullable=False),
        sa.Column("release_tag", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repositories.id"],
            name=op.f("fk_repo_commits_repository_id_repositories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repo_commits")),
        sa.UniqueConstraint("repository_id", "sha", name=op.f("uq_repo_commits_repository_id_sha")),
    )
    with op.batch_alter_table("repo_commits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repo_commits_author_email"), ["author_email"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_repo_commits_repository_id_authored_at"), ["repository_id", "authored_at"], unique=False
        )

    op.create_table(
        "commit_ideas",
        sa.Column("commit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("idea_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("implements", sa.Boolean(), nullable=False),
        sa.Column("author_email", sa.String(length=254), nullable=False),
        sa.Column("authored_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["commit_id"], ["repo_commits.id"], name=op.f("fk_commit_ideas_commit_id_repo_commits"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["ideas.id"], name=op.f("fk_commit_ideas_idea_id_ideas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("commit_id", "idea_id", name=op.f("pk_commit_ideas")),
    )
    with op.batch_alter_table("commit_ideas", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commit_ideas_author_email_authored_at"), ["author_email", "authored_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_commit_ideas_authored_at_author_email"), ["authored_at", "author_email"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_commit_ideas_idea_id_authored_at"), ["idea_id", "authored_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("commit_ideas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commit_ideas_idea_id_authored_at"))
        batch_op.drop_index(batch_op.f("ix_commit_ideas_authored_at_author_email"))
        batch_op.drop_index(batch_op.f("ix_commit_ideas_author_email_authored_at"))

    op.drop_table("commit_ideas")
    with op.batch_alter_table("repo_commits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repo_commits_repository_id_authored_at"))
        batch_op.drop_index(batch_op.f("ix_repo_commits_author_email"))

    op.drop_table("repo_commits")
    with op.batch_alter_table("extension_ideas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_extension_ideas_idea_id_repository_id"))

    op.drop_table("extension_ideas")
    with op.batch_alter_table("repositories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repositories_owner_id"))
        batch_op.drop_index(batch_op.f("ix_repositories_last_sync_at"))
        batch_op.drop_index(batch_op.f("ix_repositories_kind_id"))

    op.drop_table("repositories")
