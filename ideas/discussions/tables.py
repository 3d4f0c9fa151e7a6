import sqlalchemy as sa

from ideas.tables import follows_table, hidden_columns, post_columns
from portal.db import Id, UTCDateTime, metadata
from portal.reactions import reactions_table

# What a category does besides holding threads: "questions" lets the asker accept an answer;
# "deadlines" gives posts an optional deadline after which they take no replies.
CATEGORY_KINDS = ("plain", "questions", "deadlines")

discussion_categories = sa.Table(
    "discussion_categories",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("slug", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("kind", sa.String(16), nullable=False, server_default="plain"),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("thread_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("kind IN ('plain', 'questions', 'deadlines')", name="kind"),
    sa.CheckConstraint("thread_count >= 0", name="thread_count_not_negative"),
    sa.Index(None, "position", "id"),
)

threads = sa.Table(
    "threads",
    metadata,
    *post_columns("category_id", "discussion_categories.id", title=True),
    # Kept with the replies they count, in the same transaction.
    sa.Column("reply_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_activity_at", UTCDateTime, nullable=False),
    # The accepted answer of a question (a reply of this thread; no foreign key, to keep the two
    # tables free of a cycle; replies are never deleted, and queries.accept_reply checks the thread).
    sa.Column("accepted_reply_id", Id, nullable=True),
    # Help wanted and jobs: no replies from this moment on.
    sa.Column("deadline", UTCDateTime, nullable=True),
    # Turned into an idea: the idea it became (the thread takes no more replies).
    sa.Column("idea_id", Id, sa.ForeignKey("ideas.id", ondelete="SET NULL"), nullable=True),
    sa.Column("reaction_counts", sa.JSON, nullable=False, server_default="{}"),
    *hidden_columns(),
    sa.Column("locked_at", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("edited_at", UTCDateTime, nullable=True),
    sa.CheckConstraint("reply_count >= 0", name="reply_count_not_negative"),
    sa.Index("ix_threads_activity", "last_activity_at", "id"),
    sa.Index("ix_threads_category_activity", "category_id", "last_activity_at", "id"),
    # A category's feed: its newest threads first.
    sa.Index("ix_threads_category_new", "category_id", "id"),
    # Unanswered questions of a category: accepted_reply_id IS NULL, newest activity first.
    sa.Index("ix_threads_category_answer_activity", "category_id", "accepted_reply_id", "last_activity_at", "id"),
    sa.Index(None, "author_id", "id"),
)

thread_replies = sa.Table(
    "thread_replies",
    metadata,
    *post_columns("thread_id", "threads.id", ondelete="CASCADE"),
    # Equal to (threads.accepted_reply_id = id), kept in the same transaction: counts per member.
    sa.Column("is_accepted", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("reaction_counts", sa.JSON, nullable=False, server_default="{}"),
    *hidden_columns(),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("edited_at", UTCDateTime, nullable=True),
    sa.Index(None, "thread_id", "id"),
    sa.Index("ix_thread_replies_accepted_author", "is_accepted", "author_id"),
    sa.Index(None, "author_id", "id"),
)

# Authors and repliers follow automatically (ideas/tables.py: follows_table).
thread_follows = follows_table("thread_follows", "thread_id", "threads")
thread_reactions = reactions_table("thread_reactions", "thread_id", "threads")
reply_reactions = reactions_table("reply_reactions", "reply_id", "thread_replies")
