"""Linking repositories and syncing them: commits reach the ideas they mention, incrementally."""

import re
from datetime import UTC, datetime, timedelta

from portal.app import DOMAINS
from portal.db import utcnow
from portal.domains import Assembly
from portal.jobs.runner import run_due_jobs
from tests.contributors.helpers import link
from tests.pages import links, one, shown, texts, tree, values

ASSEMBLY = Assembly.of(DOMAINS)  # the jobs of the whole app


async def test_an_admin_links_the_product_repository_and_its_commits_appear_on_the_idea(
    app, person, visitor, work_repo
):
    grace = await person("grace", role="admin")
    ada = await person("ada")
    idea_id = await ada.submit_idea("Dark mode for the dashboard")
    product = work_repo("product")
    product.commit("Start the project")
    sha = product.commit(f"Add a dark theme\n\nThe colours come from the design.\n\nImplements: idea-{idea_id}")
    product.commit(f"Tweak contrast for idea #{idea_id}", email="bob@example.org", name="Bob")
    product.commit("Unrelated: bump the version, see #12")

    repository_id = await link(grace, str(product.path), "product")
    report = await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    assert report.done == 1

    page = await visitor.get(f"/repos/{repository_id}")
    assert "Synced" in shown(page) and "4 commits" in shown(page)
    idea_page = await visitor.get(f"/ideas/{idea_id}")
    assert sha[:7] in texts(idea_page, "li.commit code")
    assert "Add a dark theme" in shown(idea_page) and "Tweak contrast" in shown(idea_page)
    assert "Unrelated" not in shown(idea_page)
    assert "main" in texts(idea_page, "li.commit .meta code")
    assert "shipped in" not in shown(idea_page)


async def test_a_second_sync_reads_only_new_commits_and_tags_say_where_commits_shipped(app, person, visitor, work_repo):
    grace = await person("grace", role="admin")
    idea_id = await grace.submit_idea("Export votes as CSV")
    product = work_repo("product")
    first = product.commit(f"CSV export for idea #{idea_id}")
    product.tag("v1.0", date=datetime(2026, 1, 1, tzinfo=UTC))
    repository_id = await link(grace, str(product.path), "product")
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)

    second = product.commit(f"CSV export: quote fields (idea #{idea_id})")
    product.branch("feature")
    third = product.commit(f"Idea: {idea_id}\n\nWork in progress on a branch")
    product.checkout("main")
    product.tag("v1.1", date=datetime(2026, 2, 1, tzinfo=UTC))

    response = await grace.post(f"/repos/{repository_id}/sync")
    assert response.status_code == 303
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    repository = await visitor.get(f"/repos/{repository_id}")
    assert "3 commits" in shown(repository)

    commits = tree(await visitor.get(f"/ideas/{idea_id}")).css("li.commit")
    rows = {sha: next(row for row in commits if texts(row, "code")[0] == sha[:7]) for sha in (first, second, third)}
    assert "shipped in v1.0" in shown(rows[first])
    assert "shipped in v1.1" in shown(rows[second])
    assert texts(rows[third], ".meta code") == ["feature"] and "shipped in" not in shown(rows[third])

    output = app.state.db
    from contributors.sync import sync_repository

    again = await sync_repository(output, app.state.settings, repository_id)
    assert again.ok and again.new_commits == 0 and again.links == 0


async def test_an_implements_trailer_in_a_release_ships_the_idea_once_maintainers_turn_it_on(
    app, person, visitor, work_repo
):
    grace = await person("grace", role="admin")
    linus = await person("linus", role="maintainer")
    ada = await person("ada")
    shipped_id = await ada.submit_idea("Keyboard shortcuts")
    mentioned_id = await ada.submit_idea("A command palette")
    product = work_repo("product")
    repository_id = await link(grace, str(product.path), "product")
    product.commit("First commit")
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)

    refused = await ada.post(f"/repos/{repository_id}/ships", {"on": "1"})
    assert refused.status_code == 403
    assert (await linus.post(f"/repos/{repository_id}/ships", {"on": "1"})).status_code == 303

    sha = product.commit(f"Shortcuts\n\nImplements: idea-{shipped_id}\nRefs: idea-{mentioned_id}")
    product.commit("Not yet released")
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    await grace.post(f"/repos/{repository_id}/sync")
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    before = (await visitor.get(f"/ideas/{shipped_id}")).text
    assert "Shipped in" not in shown(before) and "shipped in" not in shown(before)

    product.git("tag", "v2.3", sha)
    await grace.post(f"/repos/{repository_id}/sync")
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    page = (await visitor.get(f"/ideas/{shipped_id}")).text
    assert f"Shipped in v2.3 by commit {sha[:7]}" in shown(page)
    assert "Linus" in shown(one(page, "#timeline"))  # the maintainer who turned it on answers for it
    other = (await visitor.get(f"/ideas/{mentioned_id}")).text
    assert "Shipped in" not in shown(other) and "shipped in v2.3" in shown(other)


async def test_releases_do_not_ship_ideas_while_the_switch_is_off(app, person, visitor, work_repo):
    grace = await person("grace", role="admin")
    idea_id = await grace.submit_idea("Emoji reactions")
    product = work_repo("product")
    product.commit(f"Reactions\n\nImplements: idea-{idea_id}")
    product.git("tag", "v1.0")
    await link(grace, str(product.path), "product")
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    page = (await visitor.get(f"/ideas/{idea_id}")).text
    assert "shipped in v1.0" in shown(page) and "Shipped in v1.0" not in shown(page)


async def test_a_push_webhook_with_the_right_secret_queues_a_sync_and_a_wrong_one_does_nothing(
    app, person, visitor, work_repo
):
    grace = await person("grace", role="admin")
    idea_id = await grace.submit_idea("Webhooks")
    product = work_repo("product")
    product.commit("One")
    repository_id = await link(grace, str(product.path), "contribution")
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    [shown_to_grace] = texts(await grace.get(f"/repos/{repository_id}"), "code.secret")
    hook = re.fullmatch(r"https://ideas.example.org(/hooks/repos/\d+/.+)", shown_to_grace).group(1)
    assert hook not in (await visitor.get(f"/repos/{repository_id}")).text  # only its managers see it

    product.commit(f"Two, for idea #{idea_id}")
    wrong = await visitor.client.post(hook[:-3] + "xyz", content=b'{"ref": "refs/heads/main"}')
    assert wrong.status_code == 404
    assert (await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)).total == 0

    right = await visitor.client.post(hook, content=b'{"ref": "refs/heads/main"}')
    again = await visitor.client.post(hook, content=b"{}")
    assert right.status_code == 202 and again.status_code == 202
    assert (
        await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    ).done == 1  # one sync for the burst
    later = utcnow() + timedelta(minutes=1)
    assert (
        await run_due_jobs(app.state.db, app.state.settings, app.state.assembly, now=later)
    ).done == 1  # and one after it, at most
    assert "Two, for idea" in shown(await visitor.get(f"/ideas/{idea_id}"))


async def test_one_failing_repository_does_not_stop_the_others_and_says_why(app, person, visitor, work_repo, tmp_path):
    grace = await person("grace", role="admin")
    good = work_repo("good")
    good.commit("Fine")
    broken = work_repo("broken")
    broken.commit("Soon gone")
    broken_id = await link(grace, str(broken.path))
    good_id = await link(grace, str(good.path))
    import shutil

    shutil.rmtree(broken.path)
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    broken_page = (await visitor.get(f"/repos/{broken_id}")).text
    assert "failed" in shown(broken_page) and "No git repository was found" in shown(broken_page)
    assert "Synced" in shown(await visitor.get(f"/repos/{good_id}"))


async def test_linking_twice_or_with_bad_input_links_nothing_and_keeps_what_was_typed(app, person, work_repo):
    grace = await person("grace", role="admin")
    ada = await person("ada")
    product = work_repo("product")
    product.commit("One")
    await link(grace, str(product.path))
    twice = await grace.post("/repos/new", {"url": str(product.path) + "/", "kind": "contribution"})
    assert twice.status_code == 400 and "already linked" in shown(twice)
    product_kind = await ada.post("/repos/new", {"url": "https://example.org/a.git", "kind": "product"})
    assert product_kind.status_code == 400 and "Only maintainers" in shown(product_kind)
    assert values(product_kind)["url"] == "https://example.org/a.git"
    no_kind = await ada.post("/repos/new", {"url": "https://example.org/a.git", "kind": "banana"})
    assert no_kind.status_code == 400 and "Choose what kind" in shown(no_kind)
    local = await ada.post("/repos/new", {"url": str(product.path), "kind": "contribution"})
    assert local.status_code == 400 and "local paths are for administrators" in shown(local)
    listing = await ada.get("/repos")
    assert len([href for href in links(listing) if re.fullmatch(r"/repos/\d+", href)]) == 1


async def test_the_schedule_syncs_every_repository_due_and_comes_back(app, person, visitor, work_repo):
    grace = await person("grace", role="admin")
    first, second = work_repo("first"), work_repo("second")
    first.commit("One")
    second.commit("One")
    ids = [await link(grace, str(repo.path)) for repo in (first, second)]
    db, settings = app.state.db, app.state.settings
    await run_due_jobs(db, settings, ASSEMBLY)
    first.commit("Two")
    second.commit("Two")
    assert (await run_due_jobs(db, settings, ASSEMBLY)).done == 0  # the schedule comes back in an hour
    in_an_hour = utcnow() + timedelta(minutes=61)
    report = await run_due_jobs(db, settings, ASSEMBLY, now=in_an_hour)
    assert report.done == 3  # the schedule, then a sync per repository
    for repository_id in ids:
        assert "2 commits" in shown(await visitor.get(f"/repos/{repository_id}"))
    assert (await run_due_jobs(db, settings, ASSEMBLY, now=in_an_hour + timedelta(minutes=61))).done >= 1


async def test_the_member_who_linked_a_repository_can_unlink_it_and_others_cannot(app, person, visitor, work_repo):
    grace = await person("grace", role="admin")
    ada = await person("ada")
    repo = work_repo("mine")
    repo.commit("One")
    repository_id = await link(grace, str(repo.path))
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    mirror = app.state.settings.data_dir / "repos" / f"{repository_id}.git"
    assert mirror.exists()
    assert (await ada.post(f"/repos/{repository_id}/unlink")).status_code == 403
    assert (await ada.post(f"/repos/{repository_id}/sync")).status_code == 403
    assert (await grace.post(f"/repos/{repository_id}/unlink")).status_code == 303
    assert (await visitor.get(f"/repos/{repository_id}")).status_code == 404
    assert not mirror.exists()


def test_access_logs_never_show_a_webhook_secret():
    import logging

    from portal.secret_links import MASK, MaskSecretLinks

    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", "/hooks/repos/7/s3cr3t-t0ken?x=1", "1.1", 202), None,
    )  # fmt: skip
    MaskSecretLinks().filter(record)  # on every handler of the served portal's logs (portal/cli.py)
    assert record.getMessage() == f'127.0.0.1:5000 - "POST /hooks/repos/7/{MASK}?x=1 HTTP/1.1" 202'


async def test_two_syncs_of_one_repository_never_overlap(app, person, work_repo):
    from contributors import sync_queries
    from contributors.sync import sync_repository

    grace = await person("grace", role="admin")
    repo = work_repo("busy")
    repo.commit("One")
    repository_id = await link(grace, str(repo.path))
    db, settings = app.state.db, app.state.settings
    await run_due_jobs(db, settings, ASSEMBLY)
    assert await sync_queries.take_sync_lease(db, repository_id, until=utcnow() + timedelta(minutes=5))
    repo.commit("Two")
    second = await sync_repository(db, settings, repository_id)
    assert not second.ok and "Another sync of this repository is under way" in second.error
    await sync_queries.release_sync_lease(db, repository_id)
    report = await run_due_jobs(db, settings, ASSEMBLY, now=utcnow() + timedelta(minutes=1))
    assert report.done == 1  # the sync asked for by the one that had to wait
    page = await grace.get(f"/repos/{repository_id}")
    assert "2 commits" in shown(page)


async def test_linking_starts_the_schedule_once_one_interval_later(app, person, work_repo):
    from contributors.sync import SCHEDULE_JOB
    from portal.jobs.queries import list_jobs

    grace = await person("grace", role="admin")
    for name in ("one", "two"):
        repo = work_repo(name)
        repo.commit("One")
        await link(grace, str(repo.path))
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    jobs = [row for row in await list_jobs(app.state.db) if row["kind"] == SCHEDULE_JOB]
    assert len(jobs) == 1 and not jobs[0]["finished_at"]
    assert timedelta(minutes=59) < jobs[0]["run_at"] - utcnow() <= timedelta(minutes=60)
