import sqlalchemy as sa

from portal.db import Id, UTCDateTime, metadata
from portal.reactions import (
    REACTIONS,  # noqa: F401  (ideas.tables.REACTIONS, as before)
    reactions_table,
)

STATUSES = ("open", "under_review", "planned", "in_progress", "shipped", "declined", "duplicate")
# Statuses after which an idea takes no more votes and its votes return to a board's budget.
CLOSED_STATUSES = ("shipped", "declined", "duplicate")
# The trending score of an idea nobody votes for: below any real score.
NO_VOTES_SCORE = -1.0e9


def post_columns(key: str, refers_to: str, *, ondelete: str | None = None, title: bool = False) -> list[sa.Column]:
    """What every post's table begins with (ideas/posts.py): its id, the board, category, idea or
    thread it is in (`key`, referring to `refers_to`), its author, a title for an idea or a thread,
    and its Markdown with the HTML made from it."""
    return [
        sa.Column("id", Id, primary_key=True),
        sa.Column(key, Id, sa.ForeignKey(refers_to, ondelete=ondelete), nullable=False),
        sa.Column("author_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        *([sa.Column("title", sa.String(200), nullable=False)] if title else []),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("body_html", sa.Text, nullable=False),
    ]


def hidden_columns() -> list[sa.Column]:
    """Hidden by a moderator, with the public reason shown in the post's place."""
    return [sa.Column("hidden_at", UTCDateTime, nullable=True), sa.Column("hidden_reason", sa.Text, nullable=True)]


boards = sa.Table(
    "boards",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("slug", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("is_archived", sa.Boolean, nullable=False, server_default=sa.false()),
    # NULL: unlimited votes; N: each member spreads N votes over the board's open ideas.
    sa.Column("vote_budget", sa.Integer, nullable=True),
    # A campaign is a board that asks one question and is open between two dates.
    sa.Column("campaign_question", sa.Text, nullable=True),
    sa.Column("opens_at", UTCDateTime, nullable=True),
    sa.Column("closes_at", UTCDateTime, nullable=True),
    sa.Column("idea_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("vote_budget IS NULL OR vote_budget > 0", name="vote_budget_positive"),
    sa.CheckConstraint("opens_at IS NULL OR closes_at IS NULL OR opens_at < closes_at", name="campaign_dates"),
    sa.Index(None, "is_archived", "position", "id"),
)

ideas = sa.Table(
    "ideas",
    metadata,
    *post_columns("board_id", "boards.id", title=True),
    sa.Column("status", sa.String(20), nullable=False, server_default="open"),
    # Kept equal to the rows they count, in the same transaction as those rows.
    sa.Column("vote_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("comment_count", sa.Integer, nullable=False, server_default="0"),
    # log2 of the sum over votes of 2 ** (age of the vote's moment / half-life): see ideas/ranking.py.
    sa.Column("trending_score", sa.Float, nullable=False, server_default=str(NO_VOTES_SCORE)),
    # A duplicate points to the idea it was merged into.
    sa.Column("merged_into_id", Id, sa.ForeignKey("ideas.id"), nullable=True),
    # Counts per reaction, e.g. {"heart": 2}, kept with the reaction rows in one transaction.
    sa.Column("reaction_counts", sa.JSON, nullable=False, server_default="{}"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("edited_at", UTCDateTime, nullable=True),
    # When a maintainer first answered (an official comment or a status change): responsiveness.
    sa.Column("first_response_at", UTCDateTime, nullable=True),
    # Moderation (ideas/moderation): hidden with a public reason; locked: no new comments.
    *hidden_columns(),
    sa.Column("locked_at", UTCDateTime, nullable=True),
    sa.CheckConstraint("vote_count >= 0", name="vote_count_not_negative"),
    sa.CheckConstraint("comment_count >= 0", name="comment_count_not_negative"),
    sa.CheckConstraint(
        "status IN ('open', 'under_review', 'planned', 'in_progress', 'shipped', 'declined', 'duplicate')",
        name="status",
    ),
    sa.Index("ix_ideas_top", "vote_count", "id"),
    sa.Index("ix_ideas_trending", "trending_score", "id"),
    sa.Index("ix_ideas_discussed", "comment_count", "id"),
    sa.Index("ix_ideas_updated", "updated_at", "id"),
    sa.Index("ix_ideas_board_top", "board_id", "vote_count", "id"),
    sa.Index("ix_ideas_board_trending", "board_id", "trending_score", "id"),
    sa.Index("ix_ideas_board_new", "board_id", "id"),
    sa.Index("ix_ideas_board_discussed", "board_id", "comment_count", "id"),
    sa.Index("ix_ideas_board_updated", "board_id", "updated_at", "id"),
    sa.Index("ix_ideas_status_top", "status", "vote_count", "id"),
    sa.Index(None, "author_id", "id"),
    sa.Index(None, "created_at"),
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
    *post_columns("idea_id", "ideas.id", ondelete="CASCADE"),
    sa.Column("reaction_counts", sa.JSON, nullable=False, server_default="{}"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("edited_at", UTCDateTime, nullable=True),
    # Someone other than the author (a maintainer) who edited or deleted it: shown beside it.
    sa.Column("edited_by_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    # A deleted comment stays as a tombstone: its text is gone, its place in the thread is not.
    sa.Column("deleted_at", UTCDateTime, nullable=True),
    *hidden_columns(),
    sa.Index(None, "idea_id", "id"),
    sa.Index(None, "author_id"),
    # A member's comments newest first, page by page (their profile); the latest ones (activity feed).
    sa.Index(None, "author_id", "id"),
    sa.Index(None, "created_at", "id"),
)

# The idea's public history: who changed what, when and why. Rows are only ever added.
idea_events = sa.Table(
    "idea_events",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("idea_id", Id, sa.ForeignKey("ideas.id", ondelete="CASCADE"), nullable=False),
    sa.Column("actor_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("from_status", sa.String(20), nullable=True),
    sa.Column("to_status", sa.String(20), nullable=True),
    # For a merge: the other idea (on the duplicate, the one it went into; on that one, the duplicate).
    sa.Column("related_idea_id", Id, sa.ForeignKey("ideas.id", ondelete="SET NULL"), nullable=True),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("note_html", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("kind IN ('status', 'merge', 'merged_in', 'edit')", name="kind"),
    sa.Index(None, "idea_id", "id"),
    # The latest changes (activity feed).
    sa.Index(None, "created_at", "id"),
)


idea_reactions = reactions_table("idea_reactions", "idea_id", "ideas", by_member=False)
comment_reactions = reactions_table("comment_reactions", "comment_id", "comments")

tags = sa.Table(
    "tags",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("slug", sa.String(40), nullable=False, unique=True),
    sa.Column("name", sa.String(40), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

idea_tags = sa.Table(
    "idea_tags",
    metadata,
    sa.Column("idea_id", Id, sa.ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", Id, sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    sa.Index(None, "tag_id", "idea_id"),
)


def follows_table(name: str, key: str, post_table: str) -> sa.Table:
    """Who hears about a post (an idea, a thread). Authors and those who take part follow
    automatically; a row with following = false remembers that the member unfollowed, so that
    automatic follows stop."""
    return sa.Table(
        name,
        metadata,
        sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(key, Id, sa.ForeignKey(f"{post_table}.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("following", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Index(None, key, "following", "user_id"),
    )


idea_follows = follows_table("idea_follows", "idea_id", "ideas")

board_follows = sa.Table(
    "board_follows",
    metadata,
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("board_id", Id, sa.ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index(None, "board_id", "user_id"),
)

# Full-text search documents, one per idea (id = 2 * idea id) and per comment (id = 2 * comment id + 1),
# written in the same transaction as the idea or comment. On SQLite this is an FTS5 table; on
# PostgreSQL a table with a generated, GIN-indexed tsvector. Migration 0003 creates either.
search_documents = sa.Table(
    "search_documents",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("idea_id", Id, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)
