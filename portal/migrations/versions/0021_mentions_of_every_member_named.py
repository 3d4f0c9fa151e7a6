"""mentions: every member a post @mentions, its author and the mentions of ideas made from
threads or imported included

The table held only the members told of a post. Deleting an account now finds, through it, the
posts whose @username must become "deleted member" (portal/people/forgetting.py), so the posts
written before this revision are read once and their missing mentions recorded; nobody is told.

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

from portal.markdown import mentioned_usernames

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# The kinds the mentions table records, and the table of each.
POSTS = {"idea": "ideas", "comment": "comments", "thread": "threads", "reply": "thread_replies"}
BATCH = 1000


def upgrade() -> None:
    connection = op.get_bind()
    members = {row.username: row.id for row in connection.execute(sa.text("SELECT id, username FROM users"))}
    insert = sa.text(
        "INSERT INTO mentions (target_kind, target_id, user_id, created_at)"
        " VALUES (:kind, :target_id, :user_id, :created_at) ON CONFLICT DO NOTHING"
    )
    for kind, table in POSTS.items():
        posts = connection.execute(
            sa.text(f"SELECT id, body, created_at FROM {table} WHERE body LIKE :at ORDER BY id"), {"at": "%@%"}
        )
        found = []
        for post in posts.all():
            for name in mentioned_usernames(post.body):
                if name in members:
                    found.append(
                        {"kind": kind, "target_id": post.id, "user_id": members[name], "created_at": post.created_at}
                    )
        for start in range(0, len(found), BATCH):
            connection.execute(insert, found[start : start + BATCH])


def downgrade() -> None:
    """The rows recorded here cannot be told from those recorded before; they stay (harmless)."""
