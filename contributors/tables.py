import sqlalchemy as sa

from portal.db import Id, UTCDateTime, metadata

# product: the product's own repository (maintainers link it); contribution: a fork or branch with work
# for ideas; extension: listed in /extensions with its roundtable-extension.toml.
KINDS = ("product", "contribution", "extension")

repositories = sa.Table(
    "repositories",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("url", sa.String(2000), nullable=False),
    # The URL without trailing slash or ".git", lower-case host: two spellings of one repository are one.
    sa.Column("url_key", sa.String(2000), nullable=False, unique=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("owner_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    # The URL of the repository's web pages when its host is known (commit links), else NULL.
    sa.Column("web_url", sa.String(2000), nullable=True),
    sa.Column("web_kind", sa.String(16), nullable=True),
    # Only the holder of this token can ask for a sync through the push webhook.
    sa.Column("webhook_token", sa.String(64), nullable=False),
    # Maintainers' switch: an `Implements:` commit landing in a tag of this (product) repository ships the idea.
    sa.Column("ships_ideas", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("ships_ideas_by_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    # What the last sync saw: {"heads": {branch: sha}, "tags": {tag: sha}}; the next sync reads only past it.
    sa.Column("refs", sa.JSON, nullable=False, server_default="{}"),
    sa.Column("default_branch", sa.String(255), nullable=True),
    sa.Column("commit_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_sync_at", UTCDateTime, nullable=True),
    # Held by the process syncing it, so that two syncs of one mirror never overlap.
    sa.Column("sync_lease_until", UTCDateTime, nullable=True),
    sa.Column("last_sync_ok", sa.Boolean, nullable=True),
    sa.Column("last_sync_error", sa.Text, nullable=True),
    sa.Column("last_sync_seconds", sa.Float, nullable=True),
    # Read from the repository at each sync: the extension's metadata, warnings about it, the README.
    sa.Column("name", sa.String(120), nullable=True),
    sa.Column("summary", sa.String(300), nullable=True),
    sa.Column("search_text", sa.Text, nullable=False, server_default=""),
    sa.Column("extension", sa.JSON, nullable=True),
    sa.Column("warnings", sa.JSON, nullable=False, server_default="[]"),
    sa.Column("readme_html", sa.Text, nullable=True),
    sa.Column("readme_note", sa.String(300), nullable=True),
    sa.Column("latest_tag", sa.String(255), nullable=True),
    sa.Column("latest_tag_at", UTCDateTime, nullable=True),
    sa.Column("last_commit_at", UTCDateTime, nullable=True),
    # Commits per week over the last 52 weeks (oldest first) and the top authors, as of the last sync.
    sa.Column("activity", sa.JSON, nullable=False, server_default="[]"),
    sa.Column("contributors", sa.JSON, nullable=False, server_default="[]"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("kind IN ('product', 'contribution', 'extension')", name="kind"),
    sa.Index(None, "kind", "id"),
    sa.Index(None, "owner_id"),
    sa.Index(None, "last_sync_at"),
)

repo_commits = sa.Table(
    "repo_commits",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("repository_id", Id, sa.ForeignKey("repositories.id", ondelete="CASCADE"), nullable=False),
    sa.Column("sha", sa.String(64), nullable=False),
    sa.Column("author_name", sa.String(200), nullable=False),
    # Lower-case: matched against members' verified emails.
    sa.Column("author_email", sa.String(254), nullable=False),
    sa.Column("authored_at", UTCDateTime, nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    # The branch the sync first found it on.
    sa.Column("branch", sa.String(255), nullable=False),
    # The oldest tag that contains it ("shipped in v2.3"), once one does.
    sa.Column("release_tag", sa.String(255), nullable=True),
    sa.UniqueConstraint("repository_id", "sha"),
    sa.Index(None, "repository_id", "authored_at"),
    sa.Index(None, "author_email"),
)

# A commit whose message references an idea; `implements` for an `Implements:` trailer.
commit_ideas = sa.Table(
    "commit_ideas",
    metadata,
    sa.Column("commit_id", Id, sa.ForeignKey("repo_commits.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("idea_id", Id, sa.ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("implements", sa.Boolean, nullable=False),
    # Copied from the commit so the contributors ranking reads one index.
    sa.Column("author_email", sa.String(254), nullable=False),
    sa.Column("authored_at", UTCDateTime, nullable=False),
    sa.Index(None, "idea_id", "authored_at"),
    sa.Index(None, "authored_at", "author_email"),
    sa.Index(None, "author_email", "authored_at"),
)

# Ideas an extension says (in its metadata file) that it implements.
extension_ideas = sa.Table(
    "extension_ideas",
    metadata,
    sa.Column("repository_id", Id, sa.ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("idea_id", Id, sa.ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True),
    sa.Index(None, "idea_id", "repository_id"),
)
