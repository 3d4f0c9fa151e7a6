"""search: a title index of its own, for title matches and similar ideas

Searching titles through search_documents meant walking the postings of every description and
comment that uses a word (SQLite: a column filter; PostgreSQL: a weight that the GIN index does
not store, so every row holding the word was read). search_documents_titles holds one row per
idea, id = the idea's id, found under idea_id (the idea it was merged into, if any).

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # prefix='2 3': a title being typed ends in a two- or three-letter prefix ("exporting the re").
        op.execute(
            "CREATE VIRTUAL TABLE search_documents_titles USING fts5("
            "title, idea_id UNINDEXED, tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3')"
        )
        # An idea's document id is twice its id; it holds the idea's title and where it is found.
        op.execute(
            "INSERT INTO search_documents_titles (rowid, title, idea_id)"
            " SELECT rowid / 2, title, idea_id FROM search_documents WHERE rowid % 2 = 0"
        )
        op.execute("INSERT INTO search_documents_titles (search_documents_titles) VALUES ('optimize')")
    else:
        op.execute(
            "CREATE TABLE search_documents_titles ("
            " id bigint PRIMARY KEY,"
            " idea_id bigint NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,"
            " title text NOT NULL,"
            " document tsvector GENERATED ALWAYS AS (to_tsvector('english', title)) STORED)"
        )
        op.execute(
            "INSERT INTO search_documents_titles (id, title, idea_id)"
            " SELECT id / 2, title, idea_id FROM search_documents WHERE id % 2 = 0"
        )
        op.execute("CREATE INDEX ix_search_documents_titles_document ON search_documents_titles USING gin (document)")
        op.execute("CREATE INDEX ix_search_documents_titles_idea_id ON search_documents_titles (idea_id)")
        op.execute("ANALYZE search_documents_titles")


def downgrade() -> None:
    op.execute("DROP TABLE search_documents_titles")
