import sqlalchemy as sa

from portal.db import Id, UTCDateTime, metadata

ROLES = ("member", "maintainer", "admin")

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("username", sa.String(32), nullable=False, unique=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("display_name", sa.String(80), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=True),
    sa.Column("role", sa.String(16), nullable=False, server_default="member"),
    # A badge and nothing more: a founder's vote and queue are a member's.
    sa.Column("is_founder", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Kept equal to the member's notifications with no read_at, in the same transaction.
    sa.Column("unread_notifications", sa.Integer, nullable=False, server_default="0"),
    # Set by an admin (moderation/): until then the member cannot post, vote, react or flag.
    sa.Column("suspended_until", UTCDateTime, nullable=True),
    sa.Column("suspension_reason", sa.Text, nullable=True),
    # When the member proved they read this address (a confirmation link, or a provider that
    # vouches for it); NULL: not yet, so no notification is emailed there and a provider's
    # sign-in with that address takes the account over rather than joining whoever made it.
    sa.Column("email_verified_at", UTCDateTime, nullable=True),
    sa.Column("email_confirmation_sent_at", UTCDateTime, nullable=True),
    sa.Column("password_reset_sent_at", UTCDateTime, nullable=True),
    sa.CheckConstraint("role IN ('member', 'maintainer', 'admin')", name="role"),
)

# One row per signed-in browser; the cookie carries the token, the table only its hash,
# so signing out (deleting the row) revokes a copied cookie too.
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Index(None, "user_id"),
)

# Sign-in through a provider: the provider's stable subject id, linked to one member.
oauth_accounts = sa.Table(
    "oauth_accounts",
    metadata,
    sa.Column("provider", sa.String(20), primary_key=True),
    sa.Column("subject", sa.String(255), primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("email", sa.String(254), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index(None, "user_id"),
)

TOKEN_SCOPES = ("read", "write")
PASSWORD_RESET = "password-reset"

# Personal API tokens: the member keeps the token, the table only its SHA-256 (the token is
# 256 random bits, so a plain hash is as good as a slow one and costs nothing per request).
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("scope", sa.String(8), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    sa.Column("last_used_at", UTCDateTime, nullable=True),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    # Why it ended: NULL when its member revoked it, PASSWORD_RESET when a password reset ended it.
    sa.Column("revoked_reason", sa.String(20), nullable=True),
    sa.CheckConstraint("scope IN ('read', 'write')", name="scope"),
    sa.Index(None, "user_id", "id"),
)
