import sqlalchemy as sa

from portal.db import Id, metadata

# Ideas that came from another tool by CSV, under the id they had there, so that their votes and
# comments can follow in later files and a file imported twice does not add them twice.
imported_ideas = sa.Table(
    "imported_ideas",
    metadata,
    sa.Column("external_id", sa.String(200), primary_key=True),
    sa.Column("idea_id", Id, sa.ForeignKey("ideas.id", ondelete="CASCADE"), nullable=False, unique=True),
)
