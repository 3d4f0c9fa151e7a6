"""A longer history (git fast-import): the first sync reads it all, the next only what is new.

bench/repo_sync.py runs the same at 50,000 commits and prints the times (bench/RESULTS.md).
"""

import sqlalchemy as sa

from contributors import queries
from contributors.sync import sync_repository
from contributors.tables import commit_ideas, repo_commits
from tests.contributors.gitrepos import fast_import_history


async def test_a_re_sync_after_ten_new_commits_reads_ten_commits(app, person, tmp_path):
    grace = await person("grace", role="admin")
    for n in range(50):
        await grace.submit_idea(f"Idea number {n}")
    db, settings = app.state.db, app.state.settings
    source = tmp_path / "history.git"
    head = fast_import_history(source, 3000, tag_every=1000)
    repository_id = await queries.create_repository(
        db, url=str(source), url_key=str(source), kind="product", owner_id=grace.id, web_url=None, web_kind=None
    )
    first = await sync_repository(db, settings, repository_id)
    assert first.ok and first.new_commits == 3000 and first.links == 30
    fast_import_history(source, 10, start=3000, parent=head)
    again = await sync_repository(db, settings, repository_id)
    assert again.ok and again.new_commits == 10 and again.links == 1
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(repo_commits)) == 3010
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(commit_ideas)) == 31
    tagged = await db.fetch_all(
        sa.select(repo_commits.c.release_tag, sa.func.count()).group_by(repo_commits.c.release_tag)
    )
    assert {row[0]: row[1] for row in tagged} == {"v1.0": 1001, "v2.0": 1000, None: 1009}
