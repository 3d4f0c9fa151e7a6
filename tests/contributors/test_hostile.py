"""Hostile URLs are refused before git runs; hostile repositories are read safely."""

import os

import pytest
import sqlalchemy as sa

from contributors.tables import repo_commits, repositories
from portal.jobs.runner import run_due_jobs
from portal.jobs.tables import jobs
from tests.apps import make_settings
from tests.contributors.helpers import link
from tests.pages import shown

HOSTILE_URLS = {
    "ext::sh -c touch% /tmp/pwned": "not allowed",
    "ext::sh%20-c%20id": "not allowed",
    "fd::17": "not allowed",
    "file:///etc": "Only https://",
    "ssh://git@github.com/a/b.git": "Only https://",
    "git@github.com:a/b.git": "Only https://",
    "git://github.com/a/b.git": "Only https://",
    "http://github.com/a/b.git": "Only https://",
    "-uhttps://github.com/a/b.git": "cannot start with '-'",
    "--upload-pack=touch /tmp/pwned": "cannot start with '-'",
    "https://user:secret@github.com/a/b.git": "user name or password",
    "https://token@github.com/a/b.git": "user name or password",
    "https://$HOME.example.org/a.git": "'$'",
    "https://example.org/${IFS}a.git": "'$'",
    "https://example.org/`id`.git": "'$'",
    "https://example.org/%ZZ.git": "stray '%'",
    "https://example.org/a.git\n--upload-pack=x": "control characters",
    "https://127.0.0.1/a.git": "internal address",
    "https://localhost/a.git": "internal address",
    "https://10.1.2.3/a.git": "internal address",
    "https://169.254.169.254/latest/meta-data": "internal address",
    "https://[::1]/a.git": "internal address",
    "https://[fd00::1]/a.git": "internal address",
    "https://2130706433/a.git": "internal address",
    "https://0x7f.1/a.git": "internal address",
    "https://[2002:7f00:1::1]/a.git": "internal address",  # 6to4 carrying 127.0.0.1
    "https://[64:ff9b::a9fe:a9fe]/a.git": "internal address",  # NAT64 carrying 169.254.169.254
    "https://[64:ff9b:1::a00:1]/a.git": "internal address",  # local-use NAT64
    "https://[::ffff:a00:1]/a.git": "internal address",  # IPv4-mapped 10.0.0.1
    "https://[::127.0.0.1]/a.git": "internal address",  # IPv4-compatible
    "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/a.git": "internal address",  # Teredo, client 127.0.0.1
    "/etc/passwd": "local paths are for administrators",
    "": "is required",
    "https://example.org/" + "a" * 2100: "at most 2000 characters",
}


async def test_a_member_giving_hostile_urls_gets_a_clear_message_and_nothing_is_linked(app, person):
    mallory = await person("mallory")
    for url, message in HOSTILE_URLS.items():
        response = await mallory.post("/repos/new", {"url": url, "kind": "contribution"})
        assert response.status_code == 400, url
        assert message in shown(response), (url, response.text[-3000:])
    db = app.state.db
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(repositories)) == 0
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(jobs)) == 0
    assert not os.path.exists("/tmp/pwned")


async def test_even_an_admin_cannot_smuggle_git_syntax_through_a_local_path(app, person):
    grace = await person("grace", role="admin")
    for url in ("/tmp/x::y", "file:///tmp/$HOME", "/tmp/a\n/b", "ext::sh", "/tmp/-uoops"):
        response = await grace.post("/repos/new", {"url": url, "kind": "contribution"})
        assert response.status_code == 400, url


async def test_a_readme_that_is_a_symlink_to_etc_passwd_is_not_followed(app, person, visitor, work_repo):
    grace = await person("grace", role="admin")
    evil = work_repo("evil")
    os.symlink("/etc/passwd", evil.path / "README.md")
    evil.commit("A README", files={"roundtable-extension.toml": 'name = "Evil"\nsummary = "Looks useful."\n'})
    repository_id = await link(grace, str(evil.path), "extension")
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    page = (await visitor.get(f"/extensions/{repository_id}")).text
    assert "README.md is a symbolic link; it is not followed" in shown(page)
    assert "root:" not in page


async def test_a_readme_that_is_too_large_is_not_shown(app, person, visitor, work_repo):
    grace = await person("grace", role="admin")
    big = work_repo("big")
    big.commit("Long README", files={"README.md": "word " * 120_000})
    repository_id = await link(grace, str(big.path), "extension")
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    page = (await visitor.get(f"/extensions/{repository_id}")).text
    assert "README.md is larger than 512 KB; it is not shown." in shown(page)


async def test_a_submodule_is_never_fetched(app, person, work_repo):
    grace = await person("grace", role="admin")
    secret = work_repo("secret")
    secret_sha = secret.commit("Secret history that must stay out")
    outer = work_repo("outer")
    outer.commit("Start")
    outer.git("submodule", "add", "--quiet", str(secret.path), "vendored")
    outer.commit("Add a submodule")
    repository_id = await link(grace, str(outer.path))
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    db = app.state.db
    shas = {row["sha"] for row in await db.fetch_all(sa.select(repo_commits.c.sha))}
    assert len(shas) == 2 and secret_sha not in shas
    mirror = app.state.settings.data_dir / "repos" / f"{repository_id}.git"
    assert not (mirror / "modules").exists()
    objects = os.popen(f"git --git-dir={mirror} cat-file --batch-all-objects --batch-check").read()
    assert secret_sha not in objects


async def test_malformed_objects_are_refused_by_fsck_and_nothing_is_kept(app, person, visitor, work_repo):
    grace = await person("grace", role="admin")
    bad = work_repo("bad")
    bad.commit("Fine so far")
    tree = bad.git("rev-parse", "HEAD^{tree}").strip()
    forged = f"tree {tree}\nauthor no email here 1 +0000\ncommitter x <x@example.org> 1 +0000\n\nforged\n"
    sha = bad.git("hash-object", "-t", "commit", "-w", "--literally", "--stdin", input=forged).strip()
    bad.git("update-ref", "refs/heads/main", sha)
    repository_id = await link(grace, str(bad.path))
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    page = (await visitor.get(f"/repos/{repository_id}")).text
    assert "failed" in shown(page)
    assert not (app.state.settings.data_dir / "repos" / f"{repository_id}.git").exists()
    assert list((app.state.settings.data_dir / "repos").iterdir()) == []


@pytest.fixture
def small_cap_settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path / "data", GIT_ALLOW_LOCAL_PATHS="true", GIT_MAX_REPO_MB="1")


@pytest.fixture
def settings(small_cap_settings):
    return small_cap_settings


async def test_a_repository_beyond_the_size_cap_is_stopped_and_leaves_nothing_behind(app, person, visitor, work_repo):
    grace = await person("grace", role="admin")
    huge = work_repo("huge")
    huge.commit("Small start")
    repository_id = await link(grace, str(huge.path))
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    assert "Synced" in shown(await visitor.get(f"/repos/{repository_id}"))

    huge.commit("A huge file", files={"blob.bin": os.urandom(3 * 2**20)})
    await grace.post(f"/repos/{repository_id}/sync")
    await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)
    page = (await visitor.get(f"/repos/{repository_id}")).text
    assert "larger than the 1 MB this portal keeps" in shown(page)
    mirror = app.state.settings.data_dir / "repos" / f"{repository_id}.git"
    leftovers = [p.name for p in (mirror / "objects" / "pack").iterdir() if p.name.startswith("tmp_")]
    assert leftovers == []
    assert sum(f.stat().st_size for f in mirror.rglob("*") if f.is_file()) < 2**20
