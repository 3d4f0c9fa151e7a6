import sqlalchemy as sa

from portal.db import Id, UTCDateTime, metadata

# What can be flagged and moderated: (kind, its table's name).
TARGET_KINDS = ("idea", "comment", "thread", "reply")
_KIND_CHECK = "target_kind IN ('idea', 'comment', 'thread', 'reply')"
ACTIONS = (
    "hide",
    "restore",
    "lock",
    "unlock",
    "move",
    "dismiss",
    "suspend",
    "unsuspend",
    "edit_code_of_conduct",
    # A maintainer changed someone else's thread or reply.
    "edit",
)

# A member's report about one post; one per member and post, ever (flagging twice changes nothing).
flags = sa.Table(
    "flags",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("target_kind", sa.String(16), nullable=False),
    sa.Column("target_id", Id, nullable=False),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Set when a moderator acted on the post (or dismissed its flags).
    sa.Column("resolved_at", UTCDateTime, nullable=True),
    sa.Column("resolved_by_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    sa.CheckConstraint(_KIND_CHECK, name="target_kind"),
    sa.UniqueConstraint("target_kind", "target_id", "user_id"),
    # The queue: open flags, newest first.
    sa.Index("ix_flags_open", "resolved_at", "id"),
)

# Every moderation action, public: who, what, why, when. Rows are only ever added.
moderation_log = sa.Table(
    "moderation_log",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("actor_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    sa.Column("action", sa.String(24), nullable=False),
    # The post acted on, or for a suspension the member (target_kind "member").
    sa.Column("target_kind", sa.String(16), nullable=True),
    sa.Column("target_id", Id, nullable=True),
    # What the log shows for the target, as it was then (a title, "comment on “…”", a username).
    sa.Column("target_label", sa.String(300), nullable=False, server_default=""),
    # What changed, in words: "from Lounge to Q&A", "until 2026-12-01 12:00 UTC".
    sa.Column("detail", sa.String(300), nullable=False, server_default=""),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("note_html", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.CheckConstraint(
        "action IN (" + ", ".join(f"'{action}'" for action in ACTIONS) + ")",
        name="action",
    ),
    sa.Index(None, "target_kind", "target_id", "id"),
)

# Texts admins edit, such as the code of conduct; a missing row means the built-in default.
site_texts = sa.Table(
    "site_texts",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("body_html", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("updated_by_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
)
