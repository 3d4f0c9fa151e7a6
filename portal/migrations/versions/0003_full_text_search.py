"""full-text search over ideas and comments

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # rowid is the document id; idea_id is stored, not indexed for matching.
        op.execute(
            "CREATE VIRTUAL TABLE search_documents USING fts5("
            "title, body, idea_id UNINDEXED, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        op.execute(
            "INSERT INTO search_documents (rowid, title, body, idea_id) SELECT 2 * id, title, body, id FROM ideas"
        )
        op.execute(
            "INSERT INTO search_documents (rowid, title, body, idea_id)"
            " SELECT 2 * id + 1, '', body, idea_id FROM comments"
        )
    else:
        op.execute(
            "CREATE TABLE search_documents ("
            " id bigint PRIMARY KEY,"
            " idea_id bigint NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,"
            " title text NOT NULL,"
            " body text NOT NULL,"
            " document tsvector GENERATED ALWAYS AS ("
            "  setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')"
            " ) STORED)"
        )
        op.execute("CREATE INDEX ix_search_documents_document ON search_documents USING gin (document)")
        op.execute("CREATE INDEX ix_search_documents_idea_id ON search_documents (idea_id)")
        op.execute("INSERT INTO search_documents (id, title, body, idea_id) SELECT 2 * id, title, body, id FROM ideas")
        op.execute(
            "INSERT INTO search_documents (id, title, body, idea_id) SELECT 2 * id + 1, '', body, idea_id FROM comments"
        )


def downgrade() -> None:
    op.execute("DROP TABLE search_documents")
