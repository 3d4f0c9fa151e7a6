"""Full-text search over ideas and their comments: SQLite FTS5 or PostgreSQL tsvector.

Each idea and each comment is one search document, written in the same
transaction as the idea or comment; each idea's title is also in a title index
of its own (search_documents_titles), which title matches and similar ideas
read. What a person types never reaches the search syntax as-is: it is cut
into words, and the words are quoted (FTS5) or passed to to_tsquery as plain
lexemes (PostgreSQL).

A common word matches a large share of all documents, and ranking every match
(bm25, ts_rank) costs time in proportion to them. So a search ranks in tiers,
best first (titles holding every word, then descriptions and comments), and
within a tier only the newest few matching documents (a few per result asked for): the index yields them
in id order and stops there, and only they are scored.
"""

import re
from collections.abc import Callable

import sqlalchemy as sa

from ideas.tables import search_documents
from portal.db import Database
from portal.statements import kept_by_shape

MAX_WORDS = 12
# The newest matching documents scored per tier, per result asked for: a word found in thousands
# of titles shows the best of its recent ones rather than every match scored first. Titles are one
# per idea; an idea may have many comments matching.
TITLE_WINDOW_PER_RESULT = 2
DOCUMENT_WINDOW_PER_RESULT = 4
MIN_WINDOW = 10
# A shorter last word is matched whole: a one-letter prefix stands for a good part of the vocabulary.
PREFIX_MIN_LENGTH = 2
_WORD = re.compile(r"\w+")


def documents_table(name: str, found_under: str, *, body: bool = True) -> sa.TableClause:
    """A search index as statements see it: the document's id (the FTS5 table's rowid on SQLite,
    the column id on PostgreSQL), the idea or thread it finds (`found_under`), and its words."""
    words = [sa.column("title", sa.Text), *([sa.column("body", sa.Text)] if body else [])]
    return sa.table(
        name, sa.column("rowid", sa.Integer), sa.column("id", sa.Integer), sa.column(found_under, sa.Integer), *words
    )


_fts = documents_table("search_documents", "idea_id")
# One row per idea: the rowid (SQLite) or id (PostgreSQL) is the idea's id; idea_id is the idea it
# is found under (the one it was merged into, if any). Migration 0016 creates it.
_titles = documents_table("search_documents_titles", "idea_id", body=False)


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
    key = _key(db, _titles)
    await db.execute(_titles.delete().where(key == idea_id))
    await db.execute(_titles.insert().values({key.name: idea_id, "idea_id": idea_id, "title": title}))


def _key(db: Database, table: sa.TableClause) -> sa.ColumnClause:
    return table.c.rowid if db.is_sqlite else table.c.id


async def index_comment(db: Database, *, comment_id: int, idea_id: int, body: str) -> None:
    await _write(db, _comment_document_id(comment_id), idea_id, "", body)


async def _write(db: Database, document_id: int, idea_id: int, title: str, body: str) -> None:
    if db.is_sqlite:
        await db.execute(_fts.delete().where(_fts.c.rowid == document_id))
        await db.execute(_fts.insert().values(rowid=document_id, idea_id=idea_id, title=title, body=body))
    else:
        await db.execute(search_documents.delete().where(search_documents.c.id == document_id))
        await db.execute(search_documents.insert().values(id=document_id, idea_id=idea_id, title=title, body=body))


async def rewrite_idea_body(db: Database, idea_id: int, body: str) -> None:
    """The idea's description changed in place (a deleted member's mention): its document, where it has one."""
    await _rewrite_body(db, _idea_document_id(idea_id), body)


async def rewrite_comment_body(db: Database, comment_id: int, body: str) -> None:
    """As rewrite_idea_body; a hidden comment has no document, and gets none."""
    await _rewrite_body(db, _comment_document_id(comment_id), body)


async def _rewrite_body(db: Database, document_id: int, body: str) -> None:
    table = _fts if db.is_sqlite else search_documents
    await db.execute(table.update().where(_key(db, table) == document_id).values(body=body))


async def drop_rewritten_words(db: Database) -> None:
    """After rewrite_*_body: SQLite's FTS5 keeps a rewritten document's old words in its storage,
    marked deleted, until its segments merge; merge them now, so that a deleted member's name is
    gone from the file and not only from the answers (0.7 s for 100,000 documents). PostgreSQL's
    tsvector is part of the row."""
    if db.is_sqlite:
        await db.execute(sa.text("INSERT INTO search_documents (search_documents) VALUES ('optimize')"))


async def move_documents(db: Database, *, from_idea_id: int, to_idea_id: int) -> None:
    """Let a merged idea's comments be found under the idea they now belong to."""
    for table in (_fts if db.is_sqlite else search_documents, _titles):
        await db.execute(table.update().where(table.c.idea_id == from_idea_id).values(idea_id=to_idea_id))


async def rank_ideas(
    db: Database, text: str, *, limit: int, any_word: bool = False, titles_only: bool = False
) -> list[int]:
    """Ids of the ideas whose title, description or comments best match `text`, best first.

    All words must match unless `any_word`; the last word also matches as a prefix (as you type),
    except in a tier its whole form fills on its own.
    Titles holding the words come first, then descriptions and comments (unless `titles_only`).
    With `any_word` (similar ideas), titles holding every word come first, then those holding
    all but one, then any.
    """
    words = words_of(text, drop_common=any_word)
    if not words:
        return []
    if any_word:
        title_tiers = [len(words)]
        if len(words) >= 3:
            title_tiers.append(len(words) - 1)
        if len(words) > 1:
            title_tiers.append(1)
    else:
        title_tiers = [len(words)]
    tiers = [(True, at_least) for at_least in title_tiers]
    if not titles_only:
        tiers.append((False, 1 if any_word else len(words)))
    # A search's last word is most often typed whole. Its longer forms cost much more to look up
    # (the index merges every term they begin: "dashboard*" 2.0 ms, "dashboard" 0.65 ms over M's
    # 300,000 documents), so the whole word goes first and its longer forms count only where
    # it does not fill the window. Similar ideas look while a title is being typed: there the
    # last word is often cut short, and its longer forms are looked up at once.
    whole_first = not any_word and whole_word_first(words)
    found: dict[int, None] = {}
    for titles, at_least in tiers:
        window = max((TITLE_WINDOW_PER_RESULT if titles else DOCUMENT_WINDOW_PER_RESULT) * limit, MIN_WINDOW)
        ranked = []
        if whole_first:
            ranked = await _rank_window(db, words, at_least=at_least, titles=titles, window=window, prefix=False)
        if len(ranked) < window:
            ranked = await _rank_window(db, words, at_least=at_least, titles=titles, window=window)
        for idea_id in ranked:
            found.setdefault(idea_id, None)
        if len(found) >= limit:
            break
    return list(found)[:limit]


def match_expression(db: Database, words: list[str], *, at_least: int, prefix: bool = True) -> str:
    """The FTS5 MATCH text (SQLite) or to_tsquery text (PostgreSQL) for text holding at least
    `at_least` of the words; `prefix`: the last word also matches longer words it begins."""
    if db.is_sqlite:
        return _matching(
            words,
            at_least,
            lambda word, last: f'"{word}"' + ("*" if prefix and _prefix(word, last) else ""),
            " AND ",
            " OR ",
        )
    return _matching(
        words, at_least, lambda word, last: word + (":*" if prefix and _prefix(word, last) else ""), " & ", " | "
    )


def whole_word_first(words: list[str]) -> bool:
    """Whether the last word's whole form is worth looking up before its longer forms: a search's
    last word is most often typed whole, and its longer forms cost more to look up."""
    return _prefix(words[-1], True)


def _matching(words: list[str], at_least: int, term: Callable[[str, bool], str], and_: str, or_: str) -> str:
    """A query that matches text holding at least `at_least` of the words (all, all but one, or any)."""
    terms = [term(word, index == len(words) - 1) for index, word in enumerate(words)]
    if at_least >= len(terms):
        return and_.join(terms)
    if at_least == 1:
        return or_.join(terms)
    return _all_but_one(terms, and_, or_)


def _all_but_one(terms: list[str], and_: str, or_: str) -> str:
    """At least all but one of the terms, split in halves: all of the left and all but one of the
    right, or the other way round; n log n terms rather than the n (n - 1) of listing each group."""
    if len(terms) == 2:
        return f"({or_.join(terms)})"
    left, right = terms[: len(terms) // 2], terms[len(terms) // 2 :]
    halves = []
    for every, but_one in ((left, right), (right, left)):
        halves.append(and_.join(every + ([_all_but_one(but_one, and_, or_)] if len(but_one) > 1 else [])))
    return f"(({halves[0]}){or_}({halves[1]}))"


def _prefix(word: str, last: bool) -> bool:
    return last and len(word) >= PREFIX_MIN_LENGTH


async def _rank_window(
    db: Database, words: list[str], *, at_least: int, titles: bool, window: int, prefix: bool = True
) -> list[int]:
    """The ideas of the newest `window` documents matching, best match first (with repeats);
    `prefix`: the last word also matches as the start of longer words."""
    match = match_expression(db, words, at_least=at_least, prefix=prefix)
    if db.is_sqlite:
        # Where every word must match, all titles hold them all: no need to mark which
        # (highlight() took 0.2 to 0.3 ms of a 100-title window at M).
        query = _sqlite_window(titles, marked=titles and at_least < len(words))
        rows = await db.fetch_all(query, {"match": match, "window": window})
        if titles:
            rows = sorted(rows, key=lambda row: _title_score(row["marked"], row["rowid"]))
        return [row["idea_id"] for row in rows]
    rows = await db.fetch_all(_postgres_window(titles), {"match": match, "window": window})
    return [row["idea_id"] for row in rows]


# The statements are built once (building one cost more than running it on SQLite) and run with
# each search's words and window.


@kept_by_shape
def _sqlite_window(titles: bool, *, marked: bool) -> sa.Select:
    table = _titles if titles else _fts
    fts = sa.literal_column(table.name)
    match = fts.op("MATCH")(sa.bindparam("match", type_=sa.String))
    window = sa.bindparam("window", type_=sa.Integer)
    # The FTS5 table yields matches in rowid order and stops at the LIMIT: only those are scored.
    if titles:
        # Not bm25: it reads the whole index entry of every word for its weights, which costs
        # more than the window; titles are scored in Python by the words they hold.
        text = sa.func.highlight(fts, 0, _MARK_START, _MARK_END) if marked else table.c.title
        return (
            sa.select(table.c.rowid, table.c.idea_id, text.label("marked"))
            .where(match)
            .order_by(table.c.rowid.desc())
            .limit(window)
        )
    return scored_window(table, table.c.idea_id, sqlite=True)


@kept_by_shape
def _postgres_window(titles: bool) -> sa.Select:
    table = _titles if titles else search_documents
    return scored_window(table, table.c.idea_id, sqlite=False)


def scored_window(table: sa.TableClause, found_under: sa.ColumnClause, *, sqlite: bool) -> sa.Select:
    """`found_under` (the idea, the thread) of the newest `window` documents of `table` that
    match, best match first: the statement for bind parameters `match` (the text of
    match_expression) and `window`.

    SQLite: the FTS5 table yields matches in rowid order and stops at the LIMIT, so only those are
    scored; bm25 weighs a title match ten times a match in the body. PostgreSQL: the words are
    written into the SQL (quoted as a literal), not sent as parameters: how many documents match
    decides the plan (the index, or the newest documents first), and the one generic plan
    PostgreSQL keeps for a prepared statement after five runs cannot know it; ts_rank weighs a
    title (A) match 2.5 times a body (B) match.
    """
    window = sa.bindparam("window", type_=sa.Integer)
    if sqlite:
        fts = sa.literal_column(table.name)
        documents = (
            sa.select(table.c.rowid.label("key"), found_under, sa.func.bm25(fts, 10.0, 1.0).label("score"))
            .where(fts.op("MATCH")(sa.bindparam("match", type_=sa.String)))
            .order_by(table.c.rowid.desc())
            .limit(window)
            .subquery()
        )
        return sa.select(documents.c[found_under.name]).order_by(documents.c.score, documents.c.key.desc())
    tsquery = sa.func.to_tsquery(
        sa.literal_column("'english'"), sa.bindparam("match", type_=sa.String, literal_execute=True)
    )
    document = sa.literal_column(f"{table.name}.document")
    documents = (
        sa.select(table.c.id.label("key"), found_under, document.label("document"))
        .where(document.op("@@")(tsquery))
        .order_by(table.c.id.desc())
        .limit(window)
        .subquery()
    )
    score = sa.func.ts_rank(documents.c.document, tsquery)
    return sa.select(documents.c[found_under.name]).order_by(score.desc(), documents.c.key.desc())


_MARK_START, _MARK_END = "\x02", "\x03"
_MARKED = re.compile("\x02([^\x03]*)\x03")


def _title_score(marked: str, idea_id: int) -> tuple[int, int, int]:
    """Best first: the most words of the search, then the fewest other words, then the newest.
    A title without marks (from a tier where all hold every word) counts no words matched, as all
    the others in its tier."""
    matched = {word.lower() for word in _MARKED.findall(marked)}
    return -len(matched), len(_WORD.findall(marked)), -idea_id


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
    titles = [{key: idea_id, "idea_id": found_under, "title": title} for idea_id, found_under, title, _ in ideas]
    for rows, into in ((documents, table), (titles, _titles)):
        for start in range(0, len(rows), 500):
            await db.execute(into.insert().values(rows[start : start + 500]))


async def rebuild_index(db: Database) -> None:
    """Every idea's and live, visible comment's search document, written again (after an import)."""
    from ideas.tables import comments, ideas

    await db.execute((_fts if db.is_sqlite else search_documents).delete())
    await db.execute(_titles.delete())
    idea_rows = await db.fetch_all(sa.select(ideas.c.id, ideas.c.merged_into_id, ideas.c.title, ideas.c.body))
    comment_rows = await db.fetch_all(
        sa.select(comments.c.id, comments.c.idea_id, comments.c.body).where(
            comments.c.deleted_at.is_(None), comments.c.hidden_at.is_(None)
        )
    )
    await add_documents(
        db,
        # A merged idea's own document lives under the idea it went into, as move_documents leaves it.
        ideas=[(row["id"], row["merged_into_id"] or row["id"], row["title"], row["body"]) for row in idea_rows],
        comments=[(row["id"], row["idea_id"], row["body"]) for row in comment_rows],
    )
