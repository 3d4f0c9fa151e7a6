"""A small but complete instance: a row in every table the archive carries."""

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from contributors.tables import commit_ideas, extension_ideas, repo_commits, repositories
from ideas import board_queries
from ideas import queries as idea_queries
from portal.accounts import queries as account_queries
from portal.app import DOMAINS
from portal.db import utcnow
from portal.domains import Assembly
from portal.jobs.runner import run_due_jobs
from portal.notifications.tables import KINDS
from portal.transfer.archive import archived_tables
from portal.transfer.tables import imported_ideas
from portal.webhooks import queries as webhook_queries
from roadmap import queries as roadmap_queries
from tests.api_client import create_token
from tests.ideas.discussions.helpers import reply, start_thread

ASSEMBLY = Assembly.of(DOMAINS)  # the jobs of the whole app


async def _people_and_conversation(db, ada, grace, linus, idea_id: int) -> None:
    """Profiles, an avatar, a token, a Q&A thread with an accepted answer, a mention, a flag, moderation."""
    await create_token(linus)
    profile = {
        "display_name": "Linus",
        "bio": "I *write* kernels.",
        "expertise": "C, git",
        "links": "https://example.org",
    }
    assert (await linus.post("/settings/profile", profile)).status_code == 303
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
    await linus.get("/settings/profile")
    uploaded = await linus.client.post(
        "/settings/profile/avatar", data={"csrf_token": linus.csrf}, files={"avatar": ("me.png", png, "image/png")}
    )
    assert uploaded.status_code == 303
    thread_id = await start_thread(linus, "How do I theme the portal?", "Asking for @grace.")
    answer = await reply(grace, thread_id, "With the stylesheet.")
    await reply(ada, thread_id, "Cheap watches here")
    assert (await linus.post(f"/discussions/{thread_id}/accept", {"reply": str(answer)})).status_code == 303
    assert (await ada.post(f"/discussions/{thread_id}/react", {"reaction": "heart", "on": "1"})).status_code == 303
    reacted = await grace.post(f"/discussions/replies/{answer}/react", {"reaction": "rocket", "on": "1"})
    assert reacted.status_code == 303
    flagged = await linus.post("/moderation/flag", {"kind": "idea", "id": str(idea_id), "reason": "Looks like spam"})
    assert flagged.status_code == 200
    locked = await grace.post(
        "/moderation/act", {"kind": "thread", "id": str(thread_id), "action": "lock", "note": "Answered."}
    )
    assert locked.status_code == 303
    conduct = {"body": "Be kind, be patient, assume good faith.", "note": "Shorter"}
    assert (await ada.post("/code-of-conduct/edit", conduct)).status_code == 303


async def _linked_code(db, owner_id: int, idea_id: int) -> None:
    """A linked extension with a commit that implements an idea, as a sync leaves them (the sync
    itself is tested with real repositories in tests/contributors)."""
    now = utcnow()
    repository_id = await db.fetch_val(
        repositories.insert()
        .values(
            url="https://codeberg.org/linus/dark-theme.git",
            url_key="codeberg.org/linus/dark-theme",
            kind="extension",
            owner_id=owner_id,
            web_url="https://codeberg.org/linus/dark-theme",
            web_kind="gitea",
            webhook_token="0123456789abcdef0123456789abcdef",
            refs={"refs/heads/main": "a" * 40},
            default_branch="main",
            commit_count=1,
            last_sync_at=now,
            last_sync_ok=True,
            name="Dark theme",
            summary="A dark theme",
            search_text="dark theme",
            extension={"name": "Dark theme", "license": "MIT"},
            activity=[0] * 51 + [1],
            contributors=[{"name": "Linus", "commits": 1}],
            created_at=now,
        )
        .returning(repositories.c.id)
    )
    commit_id = await db.fetch_val(
        repo_commits.insert()
        .values(
            repository_id=repository_id,
            sha="a" * 40,
            author_name="Linus",
            author_email="linus@example.org",
            authored_at=now,
            subject="Dark theme (Implements: idea-1)",
            branch="main",
            release_tag="v1.0",
        )
        .returning(repo_commits.c.id)
    )
    await db.execute(
        commit_ideas.insert().values(
            commit_id=commit_id, idea_id=idea_id, implements=True, author_email="linus@example.org", authored_at=now
        )
    )
    await db.execute(extension_ideas.insert().values(repository_id=repository_id, idea_id=idea_id))


async def build_instance(app, person) -> dict[str, int]:
    """Ada (admin, founder), Grace (maintainer) and Linus (member) use every part of the portal."""
    db = app.state.db
    ada = await person("ada", role="admin", founder=True)
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    await account_queries.link_oauth(db, provider="github", subject="4242", user_id=linus.id, email="l@example.org")
    await webhook_queries.create_webhook(
        db,
        url="https://hooks.example.org/roundtable",
        description="Chat",
        events=["idea.created"],
        created_by_id=ada.id,
    )
    await board_queries.create_board(
        db,
        slug="mobile",
        name="Mobile app",
        description="The **phone** app.",
        vote_budget=3,
        campaign_question="What would make you open it daily?",
        opens_at=datetime(2026, 1, 1, tzinfo=UTC),
        closes_at=datetime(2036, 1, 1, tzinfo=UTC),
    )
    assert (await linus.post("/boards/general/follow", {"follow": "1"})).status_code == 303
    dark = await linus.submit_idea("Dark mode for the night", "Easier on the *eyes* — ünïcödé too.")
    offline = await grace.submit_idea("Offline mode please", "Sync later.")
    twin = await ada.submit_idea("A darker theme maybe", "Same as dark mode?")
    for someone, idea_id in ((linus, offline), (grace, dark), (ada, dark), (linus, twin)):
        assert (await someone.vote(idea_id)).status_code == 303
    assert (await grace.comment(dark, "We will look at this.")).status_code == 303
    assert (await linus.comment(dark, "Thanks!")).status_code == 303
    assert (await grace.post(f"/ideas/{dark}/tags", {"tags": "ui, themes"})).status_code == 303
    assert (await linus.post(f"/ideas/{dark}/react", {"reaction": "heart", "on": "1"})).status_code == 303
    comment_id = await db.fetch_val(sa.text("SELECT min(id) FROM comments"))
    assert (await ada.post(f"/comments/{comment_id}/react", {"reaction": "rocket", "on": "1"})).status_code == 303
    assert (await grace.post(f"/ideas/{offline}/status", {"status": "planned", "note": "Next."})).status_code == 303
    await idea_queries.merge_ideas(db, duplicate_id=twin, into_id=dark, actor_id=grace.id, note="Same", note_html="")
    milestone = await roadmap_queries.create_milestone(
        db, name="Spring", target_date=date(2027, 3, 1), description="Before the fair"
    )
    await roadmap_queries.put_draft_item(
        db, idea_id=offline, column="planned", position=1, milestone_id=milestone, note="First"
    )
    await roadmap_queries.set_roadmap_follow(db, linus.id, True)
    await roadmap_queries.publish(db, actor_id=grace.id, summary="Spring plans", summary_html="<p>Spring plans</p>")
    release = await roadmap_queries.create_release(
        db, version="1.4", released_on=date(2026, 11, 1), notes="Dark!", notes_html="<p>Dark!</p>", idea_ids=[dark]
    )
    await roadmap_queries.ship_release(db, release_id=release, actor_id=grace.id)
    entry = (await webhook_queries.delivery_log(db, 1))[0]
    await webhook_queries.record_attempt(
        db,
        delivery_id=entry["delivery"]["id"],
        attempt=1,
        attempted_at=utcnow() - timedelta(seconds=5),
        status_code=502,
        error="the receiver answered 502",
        duration_ms=31,
        succeeded=False,
    )
    await db.execute(imported_ideas.insert().values(external_id="uservoice-17", idea_id=offline))
    await _people_and_conversation(db, ada, grace, linus, offline)
    await _linked_code(db, linus.id, dark)
    choices = {f"email_{kind}": "daily" if kind == "idea" else "immediately" for kind in KINDS}
    assert (await linus.post("/settings/notifications", choices)).status_code == 303
    await run_due_jobs(db, app.state.settings, ASSEMBLY)  # no SMTP: the emails land in the outbox
    await roadmap_queries.responsiveness(db)  # fills the cache the archive leaves out
    for table in archived_tables():
        count = await db.fetch_val(sa.select(sa.func.count()).select_from(table))
        assert count > 0, f"the test instance has no rows in {table.name}: add some above"
    return {"dark": dark, "offline": offline, "twin": twin, "release": release}
