"""Requests that race each other leave counters equal to their rows and never answer 500."""

import asyncio

import sqlalchemy as sa

from ideas.tables import comments, ideas, votes
from tests.pages import shown


async def comment_counts(db, idea_id):
    """The stored comment count and the live comments, which must agree."""
    stored = await db.fetch_val(sa.select(ideas.c.comment_count).where(ideas.c.id == idea_id))
    live = await db.fetch_val(
        sa.select(sa.func.count()).where(comments.c.idea_id == idea_id, comments.c.deleted_at.is_(None))
    )
    return stored, live


async def last_comment(db):
    return await db.fetch_val(sa.select(sa.func.max(comments.c.id)))


async def test_a_double_clicked_delete_removes_one_comment_once(person, db):
    linus = await person("linus")
    idea_id = await linus.submit_idea("Some idea to discuss")
    await linus.comment(idea_id, "first")
    await linus.comment(idea_id, "second")
    comment_id = await last_comment(db)
    results = await asyncio.gather(*(linus.post(f"/comments/{comment_id}/delete") for _ in range(2)))
    assert sorted(r.status_code for r in results) == [303, 404]
    assert await comment_counts(db, idea_id) == (1, 1)


async def test_an_edit_racing_a_delete_never_brings_the_text_back(person, db, visitor):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    idea_id = await linus.submit_idea("Edit delete race loop")
    for k in range(10):
        await linus.comment(idea_id, f"racy comment {k}")
        comment_id = await last_comment(db)
        results = await asyncio.gather(
            grace.post(f"/comments/{comment_id}/delete"),
            linus.post(f"/comments/{comment_id}/edit", {"body": f"zebraword{k}"}),
        )
        assert all(r.status_code in (303, 404) for r in results), [r.status_code for r in results]
        row = await db.fetch_one(sa.select(comments.c.body, comments.c.deleted_at).where(comments.c.id == comment_id))
        assert row["deleted_at"] is not None and row["body"] == ""
        assert "Edit delete race loop" not in shown(await visitor.get(f"/search?q=zebraword{k}"))
    assert await comment_counts(db, idea_id) == (0, 0)


async def test_a_delete_racing_a_merge_keeps_both_counts_true(person, db):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    for k in range(6):
        target = await linus.submit_idea(f"Target idea {k}")
        source = await linus.submit_idea(f"Source idea {k}")
        for j in range(3):
            await linus.comment(source, f"c{j}")
        comment_id = await last_comment(db)
        results = await asyncio.gather(
            linus.post(f"/comments/{comment_id}/delete"),
            grace.post(f"/ideas/{source}/merge", {"into": str(target), "merge_note": "dup"}),
        )
        assert [r.status_code for r in results] == [303, 303]
        assert await comment_counts(db, target) == (2, 2)
        assert await comment_counts(db, source) == (0, 0)


async def test_votes_racing_a_merge_keep_counts_equal_to_rows(person, db):
    grace = await person("grace", role="maintainer")
    members = [await person(f"member{n}") for n in range(10)]
    target = await grace.submit_idea("Concurrent target")
    source = await grace.submit_idea("Concurrent source")
    requests = []
    for n, member in enumerate(members):
        requests += [member.vote(target if n % 2 else source), member.vote(source if n % 2 else target)]
    requests.insert(8, grace.post(f"/ideas/{source}/merge", {"into": str(target), "merge_note": "dup"}))
    results = await asyncio.gather(*requests)
    assert all(r.status_code in (303, 409) for r in results)
    for idea_id in (target, source):
        stored = await db.fetch_val(sa.select(ideas.c.vote_count).where(ideas.c.id == idea_id))
        rows = await db.fetch_val(sa.select(sa.func.count()).where(votes.c.idea_id == idea_id))
        assert stored == rows


async def test_maintainers_saving_tags_at_once_both_succeed(person, db):
    grace = await person("grace", role="maintainer")
    idea_id = await grace.submit_idea("Tag me idea")
    results = await asyncio.gather(*(grace.post(f"/ideas/{idea_id}/tags", {"tags": "alpha, beta"}) for _ in range(4)))
    assert [r.status_code for r in results] == [303] * 4


async def test_a_maintainers_edit_stays_marked_when_the_author_edits_again(person, db):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    idea_id = await linus.submit_idea("Idea for comment trace")
    await linus.comment(idea_id, "original words")
    comment_id = await last_comment(db)
    await grace.post(f"/comments/{comment_id}/edit", {"body": "moderated words"})
    await linus.post(f"/comments/{comment_id}/edit", {"body": "author words again"})
    assert "edited by a maintainer" in shown(await linus.get(f"/ideas/{idea_id}"))


async def test_a_merged_duplicate_takes_no_comments_or_status_changes(person, db):
    grace = await person("grace", role="maintainer")
    original = await grace.submit_idea("Original idea A")
    duplicate = await grace.submit_idea("Duplicate idea B")
    await grace.post(f"/ideas/{duplicate}/merge", {"into": str(original), "merge_note": "same"})
    comment = await grace.comment(duplicate, "late comment on B")
    assert comment.status_code == 409 and f"merged into idea #{original}" in shown(comment)
    reopen = await grace.post(f"/ideas/{duplicate}/status", {"status": "open", "note": "oops"})
    assert reopen.status_code == 400 and "Change the status of that idea instead" in shown(reopen)
    row = await db.fetch_one(sa.select(ideas.c.status, ideas.c.merged_into_id).where(ideas.c.id == duplicate))
    assert (row["status"], row["merged_into_id"]) == ("duplicate", original)
