import sqlalchemy as sa

from portal.db import Id, UTCDateTime, metadata

COLUMNS = ("planned", "in_progress", "shipped")

milestones = sa.Table(
    "milestones",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("name", sa.String(80), nullable=False, unique=True),
    sa.Column("target_date", sa.Date, nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# The maintainers' draft of the roadmap: which ideas, where, in what order, with what note.
roadmap_items = sa.Table(
    "roadmap_items",
    metadata,
    sa.Column("idea_id", Id, sa.ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("column", sa.String(20), nullable=False),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("milestone_id", Id, sa.ForeignKey("milestones.id", ondelete="SET NULL"), nullable=True),
    sa.Column("note", sa.String(500), nullable=False, server_default=""),
    sa.CheckConstraint("\"column\" IN ('planned', 'in_progress', 'shipped')", name="column"),
)

# Each publication keeps a copy of the items as they were, so that any two can be compared.
roadmap_publications = sa.Table(
    "roadmap_publications",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("published_by_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("summary_html", sa.Text, nullable=False),
    sa.Column("items", sa.JSON, nullable=False),
    sa.Column("published_at", UTCDateTime, nullable=False),
)

roadmap_follows = sa.Table(
    "roadmap_follows",
    metadata,
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

releases = sa.Table(
    "releases",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("version", sa.String(40), nullable=False, unique=True),
    sa.Column("released_on", sa.Date, nullable=False),
    sa.Column("notes", sa.Text, nullable=False),
    sa.Column("notes_html", sa.Text, nullable=False),
    # NULL while a draft; set when shipped, which marks its ideas Shipped.
    sa.Column("shipped_at", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index(None, "shipped_at", "id"),
)

release_ideas = sa.Table(
    "release_ideas",
    metadata,
    sa.Column("release_id", Id, sa.ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("idea_id", Id, sa.ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True),
    sa.Index(None, "idea_id"),
)

# Figures that take a scan to compute (responsiveness), kept for a few minutes so that every
# worker reads the same copy instead of recomputing it on each view of the roadmap.
computed_figures = sa.Table(
    "computed_figures",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
    sa.Column("computed_at", UTCDateTime, nullable=False),
)
