"""No page issues more statements when it shows more items (no N+1)."""

from tests.ideas.discussions.helpers import reply, start_thread


async def test_each_page_issues_the_same_number_of_statements_for_2_or_15_items(person, statements):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    made: list[int] = []
    threads: list[int] = []

    async def statements_for(path: str) -> int:
        statements["n"] = 0
        response = await linus.get(path)
        assert response.status_code == 200, path
        return statements["n"]

    counts = {}
    for size in (2, 15):
        while len(made) < size:
            idea_id = await linus.submit_idea(f"Searchable idea number {len(made)}")
            made.append(idea_id)
            await linus.comment(idea_id, "searchable comment")
            await grace.comment(idea_id, "official searchable answer")
            await grace.post(f"/ideas/{idea_id}/tags", {"tags": "one, two"})
            await grace.post(f"/ideas/{idea_id}/status", {"status": "planned", "note": "ok"})
            await linus.post(f"/ideas/{idea_id}/react", {"reaction": "heart", "on": "1"})
            await linus.vote(idea_id)
            await linus.post("/settings/profile", {"display_name": "Linus", "expertise": f"topic {len(made)}"})
            await person(f"member{len(made)}", signed_in=False)
        for n in range(size):
            await linus.comment(made[0], f"more {n}")
        while len(threads) < size:
            thread_id = await start_thread(linus, f"Question number {len(threads)}", "Who knows @grace?")
            threads.append(thread_id)
            answer = await reply(grace, thread_id, "An answer, @linus")
            await linus.post(f"/discussions/{thread_id}/accept", {"reply": str(answer)})
            await linus.post(f"/discussions/{thread_id}/react", {"reaction": "heart", "on": "1"})
            await linus.post(f"/discussions/replies/{answer}/react", {"reaction": "rocket", "on": "1"})
            await linus.post("/moderation/flag", {"kind": "thread", "id": str(thread_id), "reason": "Testing flags"})
            await grace.post(
                "/moderation/act", {"kind": "idea", "id": str(made[len(threads) - 1]), "action": "lock", "note": "n"}
            )
        for n in range(size):
            await reply(linus, threads[0], f"more {n}")
        paths = [
            "/",
            "/?sort=trending",
            "/boards/general",
            f"/ideas/{made[0]}",
            "/search?q=searchable",
            "/notifications",
            "/settings/notifications",
            "/boards",
            "/api/v1/ideas",
            "/api/v1/ideas?sort=trending",
            f"/api/v1/ideas/{made[0]}/comments",
            "/people",
            "/people/linus",
            "/people/grace",
            "/activity",
            "/welcome",
            "/discussions",
            "/discussions/c/q-and-a",
            "/discussions/c/q-and-a?unanswered=1",
            f"/discussions/{threads[0]}",
            "/moderation/log",
        ]
        await linus.get("/activity")  # the visit's marks are written once, then left for minutes
        counts[size] = {path: await statements_for(path) for path in paths}
        statements["n"] = 0
        assert (await grace.get("/moderation/queue")).status_code == 200
        counts[size]["/moderation/queue"] = statements["n"]
    assert counts[2] == counts[15]


async def test_admin_pages_issue_the_same_number_of_statements_for_2_or_15_items(app, person, statements):
    from portal.webhooks import queries as webhook_queries

    ada = await person("ada", role="admin")
    db = app.state.db
    webhook_id = await webhook_queries.create_webhook(
        db, url="https://example.org/hook", description="", events=["idea.created"], created_by_id=ada.id
    )
    counts = {}
    for size in (2, 15):
        while len(await webhook_queries.delivery_log(db, webhook_id)) < size:
            await webhook_queries.ping(db, webhook_id)
            await webhook_queries.create_webhook(
                db, url="https://example.org/other", description="", events=["idea.created"], created_by_id=ada.id
            )
        counts[size] = {}
        for path in ("/admin/webhooks", f"/admin/webhooks/{webhook_id}", "/admin/export"):
            statements["n"] = 0
            assert (await ada.get(path)).status_code == 200, path
            counts[size][path] = statements["n"]
    assert counts[2] == counts[15]


async def test_repository_extension_and_contributor_pages_issue_the_same_number_of_statements(person, db, statements):
    from datetime import UTC, datetime, timedelta

    from contributors import queries as code
    from contributors import sync_queries

    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    idea_id = await linus.submit_idea("Shown with its commits")
    repository_ids = []
    counts = {}
    for size in (2, 15):
        while len(repository_ids) < size:
            n = len(repository_ids)
            repository_id = await code.create_repository(
                db, url=f"https://example.org/r{n}.git", url_key=f"r{n}", kind="extension",
                owner_id=grace.id if n % 2 else linus.id, web_url=f"https://github.com/x/r{n}", web_kind="github",
            )  # fmt: skip
            repository_ids.append(repository_id)
            when = datetime.now(UTC) - timedelta(days=1)
            await sync_queries.store_commits(
                db,
                repository_id,
                [
                    {"sha": f"{n:02d}{i:038x}", "author_name": "Linus", "author_email": f"{who}@example.org",
                     "authored_at": when, "subject": f"Work {i}", "branch": "main", "release_tag": "v1"}
                    for i, who in enumerate(["linus", "grace"] * 4)
                ],
            )  # fmt: skip
            await sync_queries.link_commits(db, repository_id, {f"{n:02d}{i:038x}": {idea_id: True} for i in range(8)})
            await sync_queries.set_extension_ideas(db, repository_id, [idea_id])
        paths = [
            "/repos",
            f"/repos/{repository_ids[0]}",
            "/extensions",
            "/extensions?q=example",
            f"/extensions/{repository_ids[0]}",
            "/contributors?period=all",
            f"/ideas/{idea_id}",
        ]
        counts[size] = {}
        for path in paths:
            statements["n"] = 0
            response = await linus.get(path)
            assert response.status_code == 200, path
            counts[size][path] = statements["n"]
    assert counts[2] == counts[15]
