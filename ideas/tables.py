import sqlalchemy as sa

from portal.db import Id, UTCDateTime, metadata

ideas = sa.Table(
    "ideas",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("author_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("body_html", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, server_default="open"),
    # Kept equal to the rows they count, in the same transaction as those rows.
    sa.Column("vote_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("comment_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("vote_count >= 0", name="vote_count_not_negative"),
    sa.CheckConstraint("comment_count >= 0", name="comment_count_not_negative"),
    sa.Index("ix_ideas_top", "vote_count", "id"),
    sa.Index(None, "author_id"),
)

votes = sa.Table(
    "votes",
    metadata,
    sa.Column("idea_id", Id, sa.ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index(None, "user_id", "idea_id"),
)

comments = sa.Table(
    "comments",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("idea_id", Id, sa.ForeignKey("ideas.id", ondelete="CASCADE"), nullable=False),
    sa.Column("author_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("body_html", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index(None, "idea_id", "id"),
    sa.Index(None, "author_id"),
)
