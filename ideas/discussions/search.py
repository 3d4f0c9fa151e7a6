"""Full-text search over discussions: each thread (its title and first post) and each visible
reply is one document, written in the same transaction as the thread or reply.

Documents live in search_documents_threads (migration 0019): an FTS5 table on SQLite, a table
with a weighted tsvector and a GIN index on PostgreSQL. The document id is twice the thread's id
for a thread and twice the reply's id plus one for a reply. As for ideas (ideas/search.py), the
words are quoted or passed as plain lexemes, and only the newest matching documents (a window
a few times the results asked for) are scored, so a common word costs what a rare one does.
A hidden reply's document is removed while it is hidden; a hidden thread keeps its documents
and the search page leaves it out for those who cannot read it.
"""

import sqlalchemy as sa

from ideas import search
from ideas.discussions.tables import thread_replies, threads
from portal.db import Database
from portal.statements import kept_by_shape

WINDOW_PER_RESULT = 4

_documents = search.documents_table("search_documents_threads", "thread_id")


def _key(db: Database) -> sa.ColumnClause:
    return _documents.c.rowid if db.is_sqlite else _documents.c.id


async def index_thread(db: Database, *, thread_id: int, title: str, body: str) -> None:
    await _write(db, 2 * thread_id, thread_id, title, body)


async def index_reply(db: Database, *, reply_id: int, thread_id: int, body: str) -> None:
    await _write(db, 2 * reply_id + 1, thread_id, "", body)


async def remove_reply(db: Database, *, reply_id: int) -> None:
    await db.execute(_documents.delete().where(_key(db) == 2 * reply_id + 1))


async def rewrite_thread_body(db: Database, thread_id: int, body: str) -> None:
    """A thread's first post changed in place (a deleted member's mention): its document too."""
    await _rewrite_body(db, 2 * thread_id, body)


async def rewrite_reply_body(db: Database, reply_id: int, body: str) -> None:
    """As rewrite_thread_body; a hidden reply has no document, and gets none."""
    await _rewrite_body(db, 2 * reply_id + 1, body)


async def _rewrite_body(db: Database, document_id: int, body: str) -> None:
    await db.execute(_documents.update().where(_key(db) == document_id).values(body=body))


async def drop_rewritten_words(db: Database) -> None:
    """As ideas.search.drop_rewritten_words, for the discussions' index."""
    if db.is_sqlite:
        await db.execute(sa.text("INSERT INTO search_documents_threads (search_documents_threads) VALUES ('optimize')"))


async def _write(db: Database, document_id: int, thread_id: int, title: str, body: str) -> None:
    key = _key(db)
    await db.execute(_documents.delete().where(key == document_id))
    await db.execute(
        _documents.insert().values({key.name: document_id, "thread_id": thread_id, "title": title, "body": body})
    )


async def rank_threads(db: Database, text: str, *, limit: int) -> list[int]:
    """Ids of the threads whose title, first post or replies hold every word, best first; the
    last word also matches as the start of longer words. One statement: the discussions section
    comes beside the ideas on every search, and discussions are far fewer than ideas' documents."""
    words = search.words_of(text)
    if not words:
        return []
    window = max(WINDOW_PER_RESULT * limit, search.MIN_WINDOW)
    match = search.match_expression(db, words, at_least=len(words))
    statement = _sqlite_window() if db.is_sqlite else _postgres_window()
    rows = await db.fetch_all(statement, {"match": match, "window": window})
    return list(dict.fromkeys(row["thread_id"] for row in rows))[:limit]


@kept_by_shape
def _sqlite_window() -> sa.Select:
    return search.scored_window(_documents, _documents.c.thread_id, sqlite=True)


@kept_by_shape
def _postgres_window() -> sa.Select:
    return search.scored_window(_documents, _documents.c.thread_id, sqlite=False)


async def rebuild_index(db: Database) -> None:
    """Every thread's and visible reply's document, written again (after an import)."""
    await db.execute(_documents.delete())
    key = _key(db).name
    rows = [
        {key: 2 * row["id"], "thread_id": row["id"], "title": row["title"], "body": row["body"]}
        for row in await db.fetch_all(sa.select(threads.c.id, threads.c.title, threads.c.body))
    ] + [
        {key: 2 * row["id"] + 1, "thread_id": row["thread_id"], "title": "", "body": row["body"]}
        for row in await db.fetch_all(
            sa.select(thread_replies.c.id, thread_replies.c.thread_id, thread_replies.c.body).where(
                thread_replies.c.hidden_at.is_(None)
            )
        )
    ]
    for start in range(0, len(rows), 500):
        await db.execute(_documents.insert().values(rows[start : start + 500]))
