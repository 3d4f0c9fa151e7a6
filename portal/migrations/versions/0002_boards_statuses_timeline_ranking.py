"""boards, statuses with a timeline, ranking indexes

Revision ID: 0002
Revises: 0001
"""

import math
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
NO_VOTES_SCORE = -1.0e9
HALF_LIFE_SECONDS = 3 * 86400
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

RANKING_INDEXES = {
    "ix_ideas_trending": ["trending_score", "id"],
    "ix_ideas_discussed": ["comment_count", "id"],
    "ix_ideas_updated": ["updated_at", "id"],
    "ix_ideas_board_top": ["board_id", "vote_count", "id"],
    "ix_ideas_board_trending": ["board_id", "trending_score", "id"],
    "ix_ideas_board_new": ["board_id", "id"],
    "ix_ideas_board_discussed": ["board_id", "comment_count", "id"],
    "ix_ideas_board_updated": ["board_id", "updated_at", "id"],
    "ix_ideas_status_top": ["status", "vote_count", "id"],
    "ix_ideas_author_id_id": ["author_id", "id"],
}


def upgrade() -> None:
    boards = op.create_table(
        "boards",
        sa.Column("id", Id, nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("is_archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("vote_budget", sa.Integer(), nullable=True),
        sa.Column("campaign_question", sa.Text(), nullable=True),
        sa.Column("opens_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closes_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("idea_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "opens_at IS NULL OR closes_at IS NULL OR opens_at < closes_at", name=op.f("ck_boards_campaign_dates")
        ),
        sa.CheckConstraint("vote_budget IS NULL OR vote_budget > 0", name=op.f("ck_boards_vote_budget_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_boards")),
        sa.UniqueConstraint("slug", name=op.f("uq_boards_slug")),
    )
    op.create_index(op.f("ix_boards_is_archived_position_id"), "boards", ["is_archived", "position", "id"])
    op.bulk_insert(
        boards,
        [
            {
                "id": 1,
                "slug": "general",
                "name": "General",
                "description": "Ideas about anything in the project.",
                "position": 0,
                "is_archived": False,
                "idea_count": 0,
                "created_at": datetime.now(UTC),
            }
        ],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('boards', 'id'), 1)")

    op.create_table(
        "idea_events",
        sa.Column("id", Id, nullable=False),
        sa.Column("idea_id", Id, nullable=False),
        sa.Column("actor_id", Id, nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("note_html", sa.Text(), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('status')", name=op.f("ck_idea_events_kind")),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_idea_events_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["ideas.id"], name=op.f("fk_idea_events_idea_id_ideas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idea_events")),
    )
    op.create_index(op.f("ix_idea_events_idea_id_id"), "idea_events", ["idea_id", "id"])

    with op.batch_alter_table("ideas") as batch:
        batch.add_column(sa.Column("board_id", Id, nullable=False, server_default="1"))
        batch.add_column(sa.Column("trending_score", sa.Float(), server_default=str(NO_VOTES_SCORE), nullable=False))
        batch.create_foreign_key(op.f("fk_ideas_board_id_boards"), "boards", ["board_id"], ["id"])
        batch.create_check_constraint(
            "status",
            "status IN ('open', 'under_review', 'planned', 'in_progress', 'shipped', 'declined', 'duplicate')",
        )
        batch.drop_index("ix_ideas_author_id")
        for name, columns in RANKING_INDEXES.items():
            batch.create_index(name, columns)
    with op.batch_alter_table("ideas") as batch:
        batch.alter_column("board_id", server_default=None)

    connection = op.get_bind()
    connection.execute(sa.text("UPDATE boards SET idea_count = (SELECT count(*) FROM ideas) WHERE id = 1"))
    votes = sa.table("votes", sa.column("idea_id"), sa.column("created_at", portal.db.UTCDateTime()))
    scores: dict[int, list[float]] = {}
    for idea_id, created_at in connection.execute(sa.select(votes.c.idea_id, votes.c.created_at)):
        scores.setdefault(idea_id, []).append((created_at - EPOCH).total_seconds() / HALF_LIFE_SECONDS)
    for idea_id, exponents in scores.items():
        top = max(exponents)
        score = top + math.log2(sum(2 ** (x - top) for x in exponents))
        connection.execute(
            sa.text("UPDATE ideas SET trending_score = :score WHERE id = :id"), {"score": score, "id": idea_id}
        )


def downgrade() -> None:
    with op.batch_alter_table("ideas") as batch:
        for name in RANKING_INDEXES:
            batch.drop_index(name)
        batch.create_index("ix_ideas_author_id", ["author_id"])
        batch.drop_constraint(op.f("ck_ideas_status"), type_="check")
        batch.drop_constraint(op.f("fk_ideas_board_id_boards"), type_="foreignkey")
        batch.drop_column("trending_score")
        batch.drop_column("board_id")
    op.drop_index(op.f("ix_idea_events_idea_id_id"), table_name="idea_events")
    op.drop_table("idea_events")
    op.drop_index(op.f("ix_boards_is_archived_position_id"), table_name="boards")
    op.drop_table("boards")
