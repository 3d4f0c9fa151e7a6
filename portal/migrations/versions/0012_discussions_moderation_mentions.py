"""discussions (categories, threads, replies, follows, reactions), moderation (flags, log,
hidden/locked posts, suspensions), the code of conduct and @mentions

Revision ID: 0012
Revises: 0008
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "discussion_categories",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("kind", sa.String(length=16), server_default="plain", nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("thread_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('plain', 'questions', 'deadlines')", name=op.f("ck_discussion_categories_kind")),
        sa.CheckConstraint("thread_count >= 0", name=op.f("ck_discussion_categories_thread_count_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discussion_categories")),
        sa.UniqueConstraint("slug", name=op.f("uq_discussion_categories_slug")),
    )
    with op.batch_alter_table("discussion_categories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_discussion_categories_position_id"), ["position", "id"], unique=False)

    categories = sa.table(
        "discussion_categories",
        sa.column("id", sa.Integer),
        sa.column("slug", sa.String),
        sa.column("name", sa.String),
        sa.column("description", sa.Text),
        sa.column("kind", sa.String),
        sa.column("position", sa.Integer),
        sa.column("thread_count", sa.Integer),
        sa.column("created_at", portal.db.UTCDateTime()),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        categories,
        [
            {
                "id": 1,
                "slug": "q-and-a",
                "name": "Q&A",
                "kind": "questions",
                "position": 0,
                "thread_count": 0,
                "created_at": now,
                "description": "Ask the community; the asker marks the answer that helped.",
            },
            {
                "id": 2,
                "slug": "show-and-tell",
                "name": "Show and tell",
                "kind": "plain",
                "position": 1,
                "thread_count": 0,
                "created_at": now,
                "description": "Show what you built with the project.",
            },
            {
                "id": 3,
                "slug": "help-wanted",
                "name": "Help wanted and jobs",
                "kind": "deadlines",
                "position": 2,
                "thread_count": 0,
                "created_at": now,
                "description": "Looking for help, offering work: posts can close on a deadline.",
            },
            {
                "id": 4,
                "slug": "lounge",
                "name": "Lounge",
                "kind": "plain",
                "position": 3,
                "thread_count": 0,
                "created_at": now,
                "description": "Anything else.",
            },
        ],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('discussion_categories', 'id'), 4)")

    op.create_table(
        "flags",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.CheckConstraint("target_kind IN ('idea', 'comment', 'thread', 'reply')", name=op.f("ck_flags_target_kind")),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["users.id"], name=op.f("fk_flags_resolved_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_flags_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flags")),
        sa.UniqueConstraint("target_kind", "target_id", "user_id", name=op.f("uq_flags_target_kind_target_id_user_id")),
    )
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.create_index("ix_flags_open", ["resolved_at", "id"], unique=False)

    op.create_table(
        "mentions",
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_mentions_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("target_kind", "target_id", "user_id", name=op.f("pk_mentions")),
    )
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mentions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "moderation_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("target_kind", sa.String(length=16), nullable=True),
        sa.Column("target_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("target_label", sa.String(length=300), server_default="", nullable=False),
        sa.Column("detail", sa.String(length=300), server_default="", nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("note_html", sa.Text(), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "action IN ('hide', 'restore', 'lock', 'unlock', 'move', 'dismiss', 'suspend', 'unsuspend', "
            "'edit_code_of_conduct', 'edit')",
            name=op.f("ck_moderation_log_action"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_moderation_log_actor_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_log")),
    )
    with op.batch_alter_table("moderation_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moderation_log_target_kind_target_id_id"), ["target_kind", "target_id", "id"], unique=False
        )

    op.create_table(
        "site_texts",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("updated_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_site_texts_updated_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_site_texts")),
    )
    op.create_table(
        "threads",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("category_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("reply_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_activity_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted_reply_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("deadline", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("idea_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("reaction_counts", sa.JSON(), server_default="{}", nullable=False),
        sa.Column("hidden_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.Column("locked_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("reply_count >= 0", name=op.f("ck_threads_reply_count_not_negative")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_threads_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["category_id"], ["discussion_categories.id"], name=op.f("fk_threads_category_id_discussion_categories")
        ),
        sa.ForeignKeyConstraint(["idea_id"], ["ideas.id"], name=op.f("fk_threads_idea_id_ideas"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_threads")),
    )
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.create_index("ix_threads_activity", ["last_activity_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_threads_author_id_id"), ["author_id", "id"], unique=False)
        batch_op.create_index("ix_threads_category_activity", ["category_id", "last_activity_at", "id"], unique=False)
        batch_op.create_index(
            "ix_threads_category_answer_activity",
            ["category_id", "accepted_reply_id", "last_activity_at", "id"],
            unique=False,
        )

    op.create_table(
        "thread_follows",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("thread_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("following", sa.Boolean(), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.id"], name=op.f("fk_thread_follows_thread_id_threads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_thread_follows_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "thread_id", name=op.f("pk_thread_follows")),
    )
    with op.batch_alter_table("thread_follows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_thread_follows_thread_id_following_user_id"),
            ["thread_id", "following", "user_id"],
            unique=False,
        )

    op.create_table(
        "thread_reactions",
        sa.Column("thread_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reaction", sa.String(length=16), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reaction IN ('thumbs_up', 'thumbs_down', 'laugh', 'hooray', 'confused', 'heart', 'rocket', 'eyes')",
            name=op.f("ck_thread_reactions_reaction"),
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.id"], name=op.f("fk_thread_reactions_thread_id_threads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_thread_reactions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("thread_id", "user_id", "reaction", name=op.f("pk_thread_reactions")),
    )
    with op.batch_alter_table("thread_reactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_thread_reactions_user_id_thread_id"), ["user_id", "thread_id"], unique=False
        )

    op.create_table(
        "thread_replies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("thread_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("is_accepted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("reaction_counts", sa.JSON(), server_default="{}", nullable=False),
        sa.Column("hidden_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_thread_replies_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.id"], name=op.f("fk_thread_replies_thread_id_threads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thread_replies")),
    )
    with op.batch_alter_table("thread_replies", schema=None) as batch_op:
        batch_op.create_index("ix_thread_replies_accepted_author", ["is_accepted", "author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_thread_replies_author_id_id"), ["author_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_thread_replies_thread_id_id"), ["thread_id", "id"], unique=False)

    op.create_table(
        "reply_reactions",
        sa.Column("reply_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reaction", sa.String(length=16), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reaction IN ('thumbs_up', 'thumbs_down', 'laugh', 'hooray', 'confused', 'heart', 'rocket', 'eyes')",
            name=op.f("ck_reply_reactions_reaction"),
        ),
        sa.ForeignKeyConstraint(
            ["reply_id"],
            ["thread_replies.id"],
            name=op.f("fk_reply_reactions_reply_id_thread_replies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reply_reactions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("reply_id", "user_id", "reaction", name=op.f("pk_reply_reactions")),
    )
    with op.batch_alter_table("reply_reactions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reply_reactions_user_id_reply_id"), ["user_id", "reply_id"], unique=False)

    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hidden_at", portal.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("hidden_reason", sa.Text(), nullable=True))

    with op.batch_alter_table("ideas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hidden_at", portal.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("hidden_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("locked_at", portal.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_until", portal.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("suspension_reason", sa.Text(), nullable=True))

    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_kind"), type_="check")
        batch_op.create_check_constraint(
            "kind",
            "kind IN ('idea', 'comment', 'response', 'status', 'merge', 'roadmap', 'release', "
            "'reply', 'accepted', 'mention')",
        )


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE kind IN ('reply', 'accepted', 'mention')")
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_kind"), type_="check")
        batch_op.create_check_constraint(
            "kind", "kind IN ('idea', 'comment', 'response', 'status', 'merge', 'roadmap', 'release')"
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("suspension_reason")
        batch_op.drop_column("suspended_until")

    with op.batch_alter_table("ideas", schema=None) as batch_op:
        batch_op.drop_column("locked_at")
        batch_op.drop_column("hidden_reason")
        batch_op.drop_column("hidden_at")

    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_column("hidden_reason")
        batch_op.drop_column("hidden_at")

    with op.batch_alter_table("reply_reactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reply_reactions_user_id_reply_id"))

    op.drop_table("reply_reactions")
    with op.batch_alter_table("thread_replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_thread_replies_thread_id_id"))
        batch_op.drop_index(batch_op.f("ix_thread_replies_author_id_id"))
        batch_op.drop_index("ix_thread_replies_accepted_author")

    op.drop_table("thread_replies")
    with op.batch_alter_table("thread_reactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_thread_reactions_user_id_thread_id"))

    op.drop_table("thread_reactions")
    with op.batch_alter_table("thread_follows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_thread_follows_thread_id_following_user_id"))

    op.drop_table("thread_follows")
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.drop_index("ix_threads_category_answer_activity")
        batch_op.drop_index("ix_threads_category_activity")
        batch_op.drop_index(batch_op.f("ix_threads_author_id_id"))
        batch_op.drop_index("ix_threads_activity")

    op.drop_table("threads")
    op.drop_table("site_texts")
    with op.batch_alter_table("moderation_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderation_log_target_kind_target_id_id"))

    op.drop_table("moderation_log")
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentions_user_id"))

    op.drop_table("mentions")
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.drop_index("ix_flags_open")

    op.drop_table("flags")
    with op.batch_alter_table("discussion_categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_discussion_categories_position_id"))

    op.drop_table("discussion_categories")
