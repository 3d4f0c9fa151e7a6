import sqlalchemy as sa

from portal.db import Id, UTCDateTime, metadata

# The events a webhook can subscribe to, with what the admin page calls them.
EVENTS = {
    "idea.created": "An idea is shared",
    "idea.status_changed": "An idea's status changes",
    "idea.shipped": "An idea is shipped",
    "comment.created": "A comment is posted",
    "roadmap.published": "The roadmap is published",
    "release.published": "A release is published",
}

webhooks = sa.Table(
    "webhooks",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("description", sa.String(200), nullable=False, server_default=""),
    # Shown to admins (they configure the receiver with it) and needed to sign: kept as is, never logged.
    sa.Column("secret", sa.String(80), nullable=False),
    # The event names it wants, a list drawn from EVENTS.
    sa.Column("events", sa.JSON, nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_by_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# One row per event and webhook: what is sent (the same body on every attempt).
webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("webhook_id", Id, sa.ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("event", sa.String(40), nullable=False),
    # The event's id, the same in every webhook's delivery of it, so receivers can drop repeats.
    sa.Column("event_id", sa.String(36), nullable=False),
    # The object the event is about; its `path` becomes a full `url` when sent.
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("occurred_at", UTCDateTime, nullable=False),
    # The outcome of the latest attempt: NULL while none was made.
    sa.Column("succeeded", sa.Boolean, nullable=True),
    sa.Index(None, "webhook_id", "id"),
)

# The delivery log: one row per try, shown to admins.
webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("delivery_id", Id, sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("attempted_at", UTCDateTime, nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("error", sa.String(500), nullable=True),
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Index(None, "delivery_id", "id"),
)
