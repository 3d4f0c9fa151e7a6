import sqlalchemy as sa

from portal.db import Id, UTCDateTime, metadata

# One row per member, created with the account: what they say about themselves, the counters
# of their visible contribution (kept in the same transaction as what they count) and when
# they last looked at their activity feed.
profiles = sa.Table(
    "profiles",
    metadata,
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("bio", sa.Text, nullable=False, server_default=""),
    sa.Column("bio_html", sa.Text, nullable=False, server_default=""),
    sa.Column("affiliation", sa.String(120), nullable=False, server_default=""),
    # [{"title": ..., "url": ...}], http(s) only, checked by portal.people.forms.
    sa.Column("links", sa.JSON, nullable=False, server_default="[]"),
    sa.Column("for_hire", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("hire_services", sa.Text, nullable=False, server_default=""),
    sa.Column("hire_rates", sa.String(200), nullable=False, server_default=""),
    sa.Column("hire_contact", sa.String(300), nullable=False, server_default=""),
    # Bumped with each uploaded avatar so that its address changes and caches can keep it long.
    sa.Column("avatar_version", sa.Integer, nullable=True),
    sa.Column("ideas_shipped", sa.Integer, nullable=False, server_default="0"),
    sa.Column("accepted_answers", sa.Integer, nullable=False, server_default="0"),
    sa.Column("linked_commits", sa.Integer, nullable=False, server_default="0"),
    # Weighted sum of the three counters above (see portal.people.contribution), for ranking.
    sa.Column("contribution_score", sa.Integer, nullable=False, server_default="0"),
    # The feed's "new since your last visit": last_seen_at moves at most every few minutes;
    # previous_seen_at keeps where the visit before this one ended.
    sa.Column("last_seen_at", UTCDateTime, nullable=True),
    sa.Column("previous_seen_at", UTCDateTime, nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=True),
    sa.CheckConstraint("ideas_shipped >= 0", name="ideas_shipped_not_negative"),
    sa.CheckConstraint("accepted_answers >= 0", name="accepted_answers_not_negative"),
    sa.CheckConstraint("linked_commits >= 0", name="linked_commits_not_negative"),
    sa.Index("ix_profiles_ranking", "contribution_score", "user_id"),
    sa.Index("ix_profiles_for_hire_ranking", "for_hire", "contribution_score", "user_id"),
)

# What a member knows about, as normalized tags; a few per member.
profile_expertise = sa.Table(
    "profile_expertise",
    metadata,
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("slug", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(40), nullable=False),
    sa.Index(None, "slug", "user_id"),
)

# Each expertise tag with the number of members who list it, kept with profile_expertise in one
# transaction, so that the directory shows the common ones without counting every member's tags.
expertise_tags = sa.Table(
    "expertise_tags",
    metadata,
    sa.Column("slug", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(40), nullable=False),
    sa.Column("member_count", sa.Integer, nullable=False, server_default="0"),
    sa.CheckConstraint("member_count >= 0", name="member_count_not_negative"),
    sa.Index(None, "member_count", "slug"),
)

# An uploaded picture (PNG, JPEG or WebP, checked by its first bytes), in the database because
# the app's processes keep no files.
avatars = sa.Table(
    "avatars",
    metadata,
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("content_type", sa.String(20), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("content_type IN ('image/png', 'image/jpeg', 'image/webp')", name="content_type"),
)
