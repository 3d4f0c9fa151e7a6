import sqlalchemy as sa

from portal.db import Id, UTCDateTime, metadata

# queued -> sending (claimed by one sender, in a transaction of its own, before SMTP sees it) ->
# sent, or back to queued / failed when the server answers no. A row left "sending" by a sender that
# died may or may not have been accepted by the server: it becomes "unknown" and is never sent again.
STATUSES = ("queued", "sending", "sent", "logged", "failed", "unknown")

# Every email the portal composes, kept whether or not SMTP is configured: with SMTP it is the
# queue the sender works through (and its record of sent and failed); without, the admins' copy.
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", Id, primary_key=True),
    # Deleting a member deletes the emails to them: no trace of the address stays behind.
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("to_address", sa.String(254), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    # What it is about: a notification kind, or "digest".
    sa.Column("kind", sa.String(20), nullable=False),
    # An immediate email is composed once per notification, even if the composing job runs twice.
    sa.Column(
        "notification_id", Id, sa.ForeignKey("notifications.id", ondelete="SET NULL"), nullable=True, unique=True
    ),
    # The whole RFC 5322 message, exactly as it is (or was) sent.
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("status", sa.String(12), nullable=False, server_default="queued"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    sa.Column("sending_since", UTCDateTime, nullable=True),
    sa.CheckConstraint(f"status IN ({', '.join(repr(status) for status in STATUSES)})", name="status"),
    sa.Index(None, "user_id"),
)
