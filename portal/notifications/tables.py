import sqlalchemy as sa

from portal.db import Id, UTCDateTime, metadata

KINDS = ("idea", "comment", "response", "status", "merge", "roadmap", "release", "reply", "accepted", "mention")

# One row per person and event. A domain composes what to say and where it points, so this
# table knows nothing of ideas or boards.
notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("actor_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("path", sa.String(300), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("read_at", UTCDateTime, nullable=True),
    # What it is about, as the domain that made it says (not read off the path): the idea ("idea",
    # 12) or discussion ("thread", 7) whose title the subject quotes, `hidden` while a moderator
    # hides it (the subject is then shown to moderators only); and the post in it that an email
    # quotes ("comment", 3; "reply", 9). NULL for what is about neither (a roadmap publication).
    sa.Column("about_kind", sa.String(20), nullable=True),
    sa.Column("about_id", Id, nullable=True),
    sa.Column("post_kind", sa.String(20), nullable=True),
    sa.Column("post_id", Id, nullable=True),
    sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()),
    # When an email listing it was composed, its own (the member wanted this kind at once then)
    # or a digest: whatever the member chooses later, no other email lists it again.
    sa.Column("emailed_at", UTCDateTime, nullable=True),
    sa.CheckConstraint(f"kind IN ({', '.join(repr(kind) for kind in KINDS)})", name="kind"),
    sa.Index(None, "user_id", "id"),
    sa.Index(None, "about_kind", "about_id"),
)

DELIVERIES = ("immediately", "daily", "never")

# A member's choice of email per kind of notification; a kind without a row gets its default
# (portal.notifications.preferences), so kinds added later need no rows for anyone.
email_preferences = sa.Table(
    "email_preferences",
    metadata,
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("delivery", sa.String(12), nullable=False),
    sa.CheckConstraint(f"delivery IN ({', '.join(repr(d) for d in DELIVERIES)})", name="delivery"),
)

# Per member, only once they change something or receive a digest.
email_settings = sa.Table(
    "email_settings",
    metadata,
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    # "Unsubscribe from everything": wins over every per-kind choice, present and future.
    sa.Column("emails_off", sa.Boolean, nullable=False, server_default=sa.false()),
    # The newest notification a digest has covered; the next digest starts after it.
    sa.Column("digested_through_id", Id, nullable=True),
)
