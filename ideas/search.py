"""Full-text search over ideas and their comments: SQLite FTS5 or PostgreSQL tsvector.

Each idea and each comment is one search document, written in the same
transaction as the idea or comment. What a person types never reaches the
search syntax as-is: it is cut into words, and the words are quoted (FTS5) or
passed to websearch_to_tsquery / to_tsquery as plain lexemes (PostgreSQL).
"""

import re

import sqlalchemy as sa

from ideas.tables import search_documents
from portal.db import Database

MAX_WORDS = 12
# The best-matching documents ranked per search; ideas beyond them are not worth a reader's time.
MAX_DOCUMENTS = 1000
_WORD = re.compile(r"\w+")

# On SQLite the document id is the FTS5 table's rowid.
_fts = sa.table(
    "search_documents",
    sa.column("rowid", sa.Integer),
    sa.column("idea_id", sa.Integer),
    sa.column("title", sa.Text),
    sa.column("body", sa.Text),
)


# Words too common to tell ideas apart when any word may match.
STOP_WORDS = frozenset(
    "a an and are as at be but by for from has have i if in into is it its my of on or our so that the "
    "their then there these this to was we what when which will with would you your".split()
)


def words_of(text: str, *, drop_common: bool = False) -> list[str]:
    words = [word[:40] for word in _WORD.findall(text.lower())]
    if drop_common:
        words = [word for word in words if word not in STOP_WORDS]
    return words[:MAX_WORDS]


def _idea_document_id(idea_id: int) -> int:
    return 2 * idea_id


def _comment_document_id(comment_id: int) -> int:
    return 2 * comment_id + 1


async def index_idea(db: Database, *, idea_id: int, title: str, body: str) -> None:
    await _write(db, _idea_document_id(idea_id), idea_id, title, body)


async def index_comment(db: Database, *, comment_id: int, idea_id: int, body: str) -> None:
    await _write(db, _comment_document_id(comment_id), idea_id, "", body)


async def _write(db: Database, document_id: int, idea_id: int, title: str, body: str) -> None:
    if db.is_sqlite:
        await db.execute(_fts.delete().where(_fts.c.rowid == document_id))
        await db.execute(_fts.insert().values(rowid=document_id, idea_id=idea_id, title=title, body=body))
    else:
        await db.execute(search_documents.delete().where(search_documents.c.id == document_id))
        await db.execute(search_documents.insert().values(id=document_id, idea_id=idea_id, title=title, body=body))


async def move_documents(db: Database, *, from_idea_id: int, to_idea_id: int) -> None:
    """Let a merged idea's comments be found under the idea they now belong to."""
    table = _fts if db.is_sqlite else search_documents
    await db.execute(table.update().where(table.c.idea_id == from_idea_id).values(idea_id=to_idea_id))


async def rank_ideas(
    db: Database, text: str, *, limit: int, any_word: bool = False, titles_only: bool = False
) -> list[int]:
    """Ids of the ideas whose title, description or comments best match `text`, best first.

    All words must match unless `any_word`; the last word also matches as a prefix (as you type).
    With `titles_only` (similar ideas) only titles are searched, which is also far quicker.
    """
    words = words_of(text, drop_common=any_word)
    if not words:
        return []
    if db.is_sqlite:
        terms = [f'"{word}"' for word in words[:-1]] + [f'"{words[-1]}"*']
        match = (" OR " if any_word else " ").join(terms)
        if titles_only:
            match = f"title : ({match})"
        score = sa.func.bm25(sa.literal_column("search_documents"), 10.0, 1.0)
        # bm25() cannot sit inside an aggregate: score the best documents first, then group them.
        documents = (
            sa.select(_fts.c.idea_id, score.label("score"))
            .where(sa.literal_column("search_documents").op("MATCH")(match))
            .order_by(score)
            .limit(MAX_DOCUMENTS)
            .subquery()
        )
        rank = sa.func.min(documents.c.score)
        query = (
            sa.select(documents.c.idea_id, rank.label("rank"))
            .group_by(documents.c.idea_id)
            .order_by(rank, documents.c.idea_id.desc())
            .limit(limit)
        )
    else:
        weight = "A" if titles_only else ""
        terms = [f"{word}:{weight}" if weight else word for word in words[:-1]] + [f"{words[-1]}:*{weight}"]
        tsquery = sa.func.to_tsquery("english", (" | " if any_word else " & ").join(terms))
        document = sa.literal_column("search_documents.document")
        rank = sa.func.max(sa.func.ts_rank(document, tsquery))
        query = (
            sa.select(search_documents.c.idea_id, rank.label("rank"))
            .where(document.op("@@")(tsquery))
            .group_by(search_documents.c.idea_id)
            .order_by(rank.desc(), search_documents.c.idea_id.desc())
            .limit(limit)
        )
    return [row["idea_id"] for row in await db.fetch_all(query)]


async def remove_comment(db: Database, *, comment_id: int) -> None:
    table = _fts if db.is_sqlite else search_documents
    key = _fts.c.rowid if db.is_sqlite else search_documents.c.id
    await db.execute(table.delete().where(key == _comment_document_id(comment_id)))


async def add_documents(
    db: Database,
    *,
    ideas: list[tuple[int, int, str, str]] = (),
    comments: list[tuple[int, int, str]] = (),
) -> None:
    """New documents in bulk: (idea id, idea it is found under, title, body) and (comment id, idea id, body)."""
    table = _fts if db.is_sqlite else search_documents
    key = "rowid" if db.is_sqlite else "id"
    documents = [
        {key: _idea_document_id(idea_id), "idea_id": found_under, "title": title, "body": body}
        for idea_id, found_under, title, body in ideas
    ] + [
        {key: _comment_document_id(comment_id), "idea_id": idea_id, "title": "", "body": body}
        for comment_id, idea_id, body in comments
    ]
    for start in range(0, len(documents), 500):
        await db.execute(table.insert().values(documents[start : start + 500]))


async def rebuild_index(db: Database) -> None:
    """Every idea's and live comment's search document, written again (after an import)."""
    from ideas.tables import comments, ideas

    await db.execute((_fts if db.is_sqlite else search_documents).delete())
    idea_rows = await db.fetch_all(sa.select(ideas.c.id, ideas.c.merged_into_id, ideas.c.title, ideas.c.body))
    comment_rows = await db.fetch_all(
        sa.select(comments.c.id, comments.c.idea_id, comments.c.body).where(comments.c.deleted_at.is_(None))
    )
    await add_documents(
        db,
        # A merged idea's own document lives under the idea it went into, as move_documents leaves it.
        ideas=[(row["id"], row["merged_into_id"] or row["id"], row["title"], row["body"]) for row in idea_rows],
        comments=[(row["id"], row["idea_id"], row["body"]) for row in comment_rows],
    )
