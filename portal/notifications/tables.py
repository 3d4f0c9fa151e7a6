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
    sa.CheckConstraint(f"kind IN ({', '.join(repr(kind) for kind in KINDS)})", name="kind"),
    sa.Index(None, "user_id", "id"),
)
