"""search: discussions, each thread and each visible reply one document; hidden comments out of
the ideas' index

Revision ID: 0019
Revises: 0018
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # rowid is the document id (2 * thread id, or 2 * reply id + 1); thread_id is stored, not matched.
        op.execute(
            "CREATE VIRTUAL TABLE search_documents_threads USING fts5("
            "title, body, thread_id UNINDEXED, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        key = "rowid"
    else:
        op.execute(
            "CREATE TABLE search_documents_threads ("
            " id bigint PRIMARY KEY,"
            " thread_id bigint NOT NULL REFERENCES threads (id) ON DELETE CASCADE,"
            " title text NOT NULL,"
            " body text NOT NULL,"
            " document tsvector GENERATED ALWAYS AS ("
            "  setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')"
            " ) STORED)"
        )
        op.execute("CREATE INDEX ix_search_documents_threads_document ON search_documents_threads USING gin (document)")
        op.execute("CREATE INDEX ix_search_documents_threads_thread_id ON search_documents_threads (thread_id)")
        key = "id"
    op.execute(
        f"INSERT INTO search_documents_threads ({key}, title, body, thread_id)"
        " SELECT 2 * id, title, body, id FROM threads"
    )
    op.execute(
        f"INSERT INTO search_documents_threads ({key}, title, body, thread_id)"
        " SELECT 2 * id + 1, '', body, thread_id FROM thread_replies WHERE hidden_at IS NULL"
    )

    # And, on the way, the documents of comments hidden before hiding took them out of the index.
    comment_key = "rowid" if key == "rowid" else "id"
    op.execute(
        f"DELETE FROM search_documents WHERE {comment_key} IN"
        " (SELECT 2 * id + 1 FROM comments WHERE hidden_at IS NOT NULL)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE search_documents_threads")
