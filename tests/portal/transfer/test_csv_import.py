"""Moving from another tool: ideas, votes and comments come in from CSV files, all or nothing."""

import asyncio
from datetime import UTC, datetime

import sqlalchemy as sa

from ideas import board_queries
from ideas.tables import NO_VOTES_SCORE, boards, comments, ideas, votes
from portal.accounts.tables import users
from tests.commands import import_csv, run
from tests.pages import shown, texts

IDEAS = """external_id,title,body,author_email,board,status,created_at
uv-1,Dark mode,"Easier on the eyes,
especially at night.",ada@example.org,,Under review,2024-03-01
uv-2,Offline sync,Work on the train.,Nora.Newcomer@Example.org,mobile,planned,2024-03-02T10:30:00Z
uv-3,Keyboard shortcuts,,nora.newcomer@example.org,Mobile app,,2024-03-03 08:00
"""
VOTES = """idea_external_id,voter_email,created_at
uv-1,ada@example.org,2024-03-05
uv-1,olga@example.org,
uv-2,olga@example.org,2024-03-06T12:00:00+02:00
"""
COMMENTS = """idea_external_id,author_email,body,created_at
uv-1,olga@example.org,**Yes** please,2024-03-07
uv-1,ada@example.org,Planned for spring.,
uv-3,olga@example.org,Vim keys!,
"""


async def snapshot(db) -> dict:
    """Everything an import can change, with the counters next to what they count."""
    idea_rows = await db.fetch_all(sa.select(ideas).order_by(ideas.c.id))
    vote_counts = {
        row["idea_id"]: row["n"]
        for row in await db.fetch_all(sa.select(votes.c.idea_id, sa.func.count().label("n")).group_by(votes.c.idea_id))
    }
    comment_counts = {
        row["idea_id"]: row["n"]
        for row in await db.fetch_all(
            sa.select(comments.c.idea_id, sa.func.count().label("n"))
            .where(comments.c.deleted_at.is_(None))
            .group_by(comments.c.idea_id)
        )
    }
    for row in idea_rows:
        assert row["vote_count"] == vote_counts.get(row["id"], 0), row["title"]
        assert row["comment_count"] == comment_counts.get(row["id"], 0), row["title"]
    for board in await db.fetch_all(sa.select(boards)):
        count = sum(1 for row in idea_rows if row["board_id"] == board["id"])
        assert board["idea_count"] == count, board["slug"]
    return {
        "ideas": [(row["title"], row["status"], row["vote_count"], row["comment_count"]) for row in idea_rows],
        "users": [tuple(row) for row in await db.fetch_all(sa.select(users.c.username, users.c.email))],
        "comments": await db.fetch_val(sa.select(sa.func.count()).select_from(comments)),
    }


async def test_ideas_votes_and_comments_move_in_from_another_tool(app, db, person, visitor, cli_env, tmp_path):
    ada = await person("ada")
    await board_queries.create_board(db, slug="mobile", name="Mobile app")

    results = [
        await asyncio.to_thread(import_csv, cli_env, tmp_path, kind, text)
        for kind, text in (("ideas", IDEAS), ("votes", VOTES), ("comments", COMMENTS))
    ]

    assert [result.output for result in results] == [
        "Imported 3 ideas, 1 members created.\n",
        "Imported 3 votes, 0 votes already there, 1 members created.\n",
        "Imported 3 comments, 0 comments already there, 0 members created.\n",
    ]
    state = await snapshot(db)
    assert state["ideas"] == [
        ("Dark mode", "under_review", 2, 2),
        ("Offline sync", "planned", 1, 0),
        ("Keyboard shortcuts", "open", 0, 1),
    ]
    nora = await db.fetch_one(sa.select(users).where(users.c.email == "nora.newcomer@example.org"))
    assert nora["username"] == "nora-newcomer" and nora["password_hash"] is None
    dark = await db.fetch_one(sa.select(ideas).where(ideas.c.title == "Dark mode"))
    assert dark["author_id"] == ada.id and dark["created_at"] == datetime(2024, 3, 1, tzinfo=UTC)
    assert dark["body"] == "Easier on the eyes,\nespecially at night." and dark["trending_score"] > NO_VOTES_SCORE
    page = await visitor.get(f"/ideas/{dark['id']}")
    assert (
        "Yes please" in shown(page) and "Yes" in texts(page, ".prose strong") and "Planned for spring." in shown(page)
    )
    assert "Dark mode" in shown(await visitor.get("/search?q=especially"))

    again = await asyncio.to_thread(import_csv, cli_env, tmp_path, "votes", VOTES)
    assert again.output == "Imported 0 votes, 3 votes already there, 0 members created.\n"
    # The same file again, with two of its rows repeated.
    comments_again = COMMENTS + "uv-3,olga@example.org,Vim keys!,\nuv-1,olga@example.org,**Yes** please,2024-03-07\n"
    again = await asyncio.to_thread(import_csv, cli_env, tmp_path, "comments", comments_again)
    assert again.output == "Imported 0 comments, 5 comments already there, 0 members created.\n"
    twice = await asyncio.to_thread(import_csv, cli_env, tmp_path, "ideas", IDEAS)
    assert twice.exit_code == 1
    assert "line 2: external_id 'uv-1' was imported already" in twice.output
    assert await snapshot(db) == state


async def test_bad_rows_are_reported_with_their_line_numbers_and_nothing_is_written(app, db, person, cli_env, tmp_path):
    await person("ada")
    before = await snapshot(db)
    bad = """external_id,title,author_email,board,status,created_at
ok-1,A perfectly fine idea,ada@example.org,,,
ok-2,,ada@example.org,,,
ok-3,Bad email,not-an-email,,,
ok-4,Bad date,ada@example.org,,,31/02/2024
ok-5,Bad status,ada@example.org,,someday,
ok-1,Same id again,ada@example.org,,,
ok-6,Unknown board,ada@example.org,nowhere,,
ok-7,Too,many,values,here,,
"""
    result = await asyncio.to_thread(import_csv, cli_env, tmp_path, "ideas", bad)

    assert result.exit_code == 1
    for expected in (
        "Nothing was imported from",
        "line 3: title is empty",
        "line 4: author_email 'not-an-email' is not an email address",
        "line 5: created_at '31/02/2024' is not a date",
        "line 6: status 'someday' is not one of open, under_review",
        "line 7: repeats line 2 (external_id ok-1)",
        "line 9: expected 6 values, found 7",
    ):
        assert expected in result.output, expected
    assert "line 2:" not in result.output
    assert await snapshot(db) == before

    fixed = "\n".join(line for line in bad.splitlines() if line.startswith(("external_id", "ok-1,A", "ok-6")))
    result = await asyncio.to_thread(import_csv, cli_env, tmp_path, "ideas", fixed)
    assert result.exit_code == 1 and "line 3: there is no board 'nowhere' (boards: general)" in result.output
    assert await snapshot(db) == before


async def test_files_of_the_wrong_shape_say_so(app, db, cli_env, tmp_path):
    before = await snapshot(db)
    cases = [
        ("ideas", "external_id,title\nx,y\n", "line 1: missing column author_email"),
        ("ideas", "external_id,title,author_email,colour\n", "line 1: unknown column 'colour'"),
        ("votes", "idea_external_id,voter\n", "The columns of a votes file are: idea_external_id, voter_email"),
        ("votes", "idea_external_id,voter_email\n", "header line but no rows"),
        ("comments", "", "The file is empty"),
        ("ideas", "title,title\n", "a column is named twice"),
        ("ideas", b"external_id,title,author_email\nx,\xff\xfe,a@b.org\n", "not UTF-8"),
        ("votes", "idea_external_id,voter_email\nnope,ada@example.org\n", "line 2: no idea was imported with"),
        ("comments", "idea_external_id,author_email,body\nnope,a@example.org,Hi\n", "import the ideas first"),
    ]
    for kind, text, message in cases:
        result = await asyncio.to_thread(import_csv, cli_env, tmp_path, kind, text)
        assert result.exit_code != 0, message
        assert message in result.output, (message, result.output)
    assert await snapshot(db) == before
    unknown_kind = run(cli_env, "import-csv", str(tmp_path / "ideas.csv"), "--kind", "people")
    assert unknown_kind.exit_code == 2 and "'people' is not one of" in unknown_kind.output
