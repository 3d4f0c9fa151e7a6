"""Checking a repository's URL and syncing it: fetch, read what is new, store it, ship ideas.

Git work blocks, so it runs in a thread; every database write goes through contributors.queries.
"""

import asyncio
import logging
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from contributors import extensions, git, queries, sync_queries
from contributors.refs import find_idea_references
from ideas import queries as idea_queries
from portal.db import Database, utcnow
from portal.jobs.queries import enqueue
from portal.jobs.runner import JobContext
from portal.netguard import UnsafeURL, check_public_url
from portal.settings import Settings

logger = logging.getLogger("roundtable.repos")

SCHEDULE_JOB = "repos-schedule"
_LOCAL_BAD = ("::", "$", "`", "\\", "\n", "\r", "\x00", " ", "\t")


def is_local(url: str) -> bool:
    return url.startswith(("/", "file://"))


def check_local_path(url: str) -> str:
    path = url[len("file://") :] if url.startswith("file://") else url
    if not path.startswith("/") or any(bad in path for bad in _LOCAL_BAD) or "/-" in path:
        raise UnsafeURL("A local repository is given by its absolute path, with no special characters.")
    return url


async def check_remote(url: str, settings: Settings, *, may_use_local: bool) -> git.Remote:
    """The checked remote git may fetch, or UnsafeURL saying why not (at link time and before each fetch)."""
    url = url.strip()
    if is_local(url):
        if not (settings.git_allow_local_paths and may_use_local):
            raise UnsafeURL("Only https:// addresses are accepted here; local paths are for administrators.")
        return git.Remote(url=check_local_path(url), protocols=("file",))
    schemes = tuple(scheme for scheme in settings.git_allowed_schemes if scheme in ("https", "http")) or ("https",)
    checked = await check_public_url(url, schemes=schemes, allow_private=settings.allow_private_urls)
    addresses = ",".join(f"[{a}]" if ":" in a else a for a in checked.addresses)
    return git.Remote(
        url=checked.url, protocols=(checked.scheme,), pins=(f"{checked.host.strip('[]')}:{checked.port}:{addresses}",)
    )


def mirror_path(settings: Settings, repository_id: int) -> Path:
    return settings.data_dir / "repos" / f"{int(repository_id)}.git"


@dataclass
class SyncResult:
    ok: bool
    new_commits: int = 0
    links: int = 0
    shipped: int = 0
    seconds: float = 0.0
    error: str | None = None
    values: dict = field(default_factory=dict)


async def sync_repository(db: Database, settings: Settings, repository_id: int) -> SyncResult:
    """Fetch what is new and record it; a failure is recorded on the repository, never raised.

    While another process syncs the same repository, this one asks for a sync a little later instead.
    """
    started = time.monotonic()
    repository = await queries.get_repository(db, repository_id)
    if repository is None:
        return SyncResult(ok=False, error="There is no such repository.")
    lease = utcnow() + timedelta(seconds=settings.git_timeout * 2 + 300)
    if not await sync_queries.take_sync_lease(db, repository_id, until=lease):
        await queries.enqueue_sync(db, repository_id, run_at=utcnow() + queries.FOLLOW_UP_DELAY)
        return SyncResult(ok=False, error="Another sync of this repository is under way; one more will follow it.")
    try:
        return await _sync_holding_lease(db, settings, repository, started)
    finally:
        await sync_queries.release_sync_lease(db, repository_id)


async def _sync_holding_lease(db: Database, settings: Settings, repository, started: float) -> SyncResult:
    repository_id = repository["id"]
    try:
        result = await _sync(db, settings, repository)
    except Exception as error:  # noqa: BLE001 - whatever went wrong is shown on the repository page
        if isinstance(error, git.GitError | UnsafeURL):
            message = str(error)
        elif isinstance(error, subprocess.SubprocessError | OSError):
            message = f"git could not run: {type(error).__name__}."
        else:
            logger.exception("sync of repository %s failed", repository_id)
            message = "The sync failed on our side; the administrators can see why in the server log."
        seconds = time.monotonic() - started
        await sync_queries.fail_sync(db, repository_id, error=message, seconds=seconds)
        logger.info("sync of repository %s failed: %s", repository_id, message)
        return SyncResult(ok=False, error=message, seconds=seconds)
    result.seconds = time.monotonic() - started
    await sync_queries.finish_sync(db, repository_id, last_sync_seconds=result.seconds, **result.values)
    return result


async def _sync(db: Database, settings: Settings, repository) -> SyncResult:
    repository_id = repository["id"]
    remote = await check_remote(repository["url"], settings, may_use_local=True)
    mirror = mirror_path(settings, repository_id)
    limits = git.Limits(timeout=settings.git_timeout, max_bytes=settings.git_max_repo_mb * 2**20)
    await asyncio.to_thread(git.fetch, mirror, remote, limits)
    refs = await asyncio.to_thread(git.read_refs, mirror)
    old = repository["refs"] or {}
    old_heads = old.get("heads", {})
    old_tags = {name: tuple(value) for name, value in old.get("tags", {}).items()}
    commits = await asyncio.to_thread(lambda: list(git.new_commits(mirror, refs.heads, old_heads)))
    first_tags = await asyncio.to_thread(git.first_release_tags, mirror, refs.tags, old_tags)

    await sync_queries.store_commits(
        db,
        repository_id,
        [
            {
                "sha": commit.sha,
                "author_name": commit.author_name,
                "author_email": commit.author_email,
                "authored_at": commit.authored_at,
                "subject": commit.subject,
                "branch": commit.branch,
                "release_tag": first_tags.get(commit.sha),
            }
            for commit in reversed(commits)  # oldest first: ids grow with time, for ties in the lists
        ],
    )
    new_shas = {commit.sha for commit in commits}
    await sync_queries.set_release_tags(db, repository_id, {s: t for s, t in first_tags.items() if s not in new_shas})
    references = {}
    for commit in commits:
        found = find_idea_references(commit.message, public_url=settings.public_url)
        if found:
            references[commit.sha] = found
    links = await sync_queries.link_commits(db, repository_id, references)

    result = SyncResult(ok=True, new_commits=len(commits), links=links)
    moved = refs.heads != old_heads or refs.tags != old_tags
    if moved or repository["last_sync_ok"] is not True:
        result.values = await _read_repository_files(db, repository, mirror, refs)
    result.values["refs"] = {"heads": refs.heads, "tags": {name: list(value) for name, value in refs.tags.items()}}
    if repository["kind"] == "product" and repository["ships_ideas"] and repository["ships_ideas_by_id"]:
        new_tags = sorted(set(first_tags.values()))
        result.shipped = await _ship_ideas(db, repository, new_tags)
    return result


async def _read_repository_files(db: Database, repository, mirror: Path, refs: git.Refs) -> dict:
    """What the pages show about the repository as a whole; only extensions show their files and activity."""
    branch = git.default_branch(refs.heads)
    head = refs.heads.get(branch, "") if branch else ""
    values: dict = {"default_branch": branch}
    latest = max(refs.tags.items(), key=lambda item: (item[1][1], item[0]), default=None)
    values["latest_tag"] = latest[0] if latest else None
    values["latest_tag_at"] = datetime.fromtimestamp(latest[1][1], UTC) if latest else None
    name = urlsplit(repository["url"]).path.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1] or repository["url"]
    values.update(name=name[:120], summary=None, extension=None, warnings=[])
    if repository["kind"] == "extension":
        readme = await asyncio.to_thread(git.read_root_file, mirror, head, git.README_NAMES, git.README_MAX_BYTES)
        values["readme_html"], values["readme_note"] = extensions.render_readme(readme)
        values["activity"] = await asyncio.to_thread(git.weekly_activity, mirror, head, utcnow())
        values["contributors"] = await asyncio.to_thread(git.top_authors, mirror, head)
        file = await asyncio.to_thread(git.read_root_file, mirror, head, (git.METADATA_FILE,), git.METADATA_MAX_BYTES)
        metadata = extensions.parse_metadata(file)
        values["extension"] = metadata.values
        values["warnings"] = metadata.warnings
        values["name"] = metadata.values.get("name", values["name"])
        values["summary"] = metadata.values.get("summary")
        await sync_queries.set_extension_ideas(db, repository["id"], metadata.idea_ids)
    keywords = " ".join((values.get("extension") or {}).get("keywords", []))
    values["search_text"] = " ".join([values["name"], values["summary"] or "", keywords, repository["url"]]).lower()
    return values


async def _ship_ideas(db: Database, repository, tags: list[str]) -> int:
    shipped = 0
    done: set[int] = set()
    for row in await sync_queries.ideas_shipped_by_tags(db, repository["id"], tags):
        if row["idea_id"] in done:
            continue
        done.add(row["idea_id"])
        where = repository["name"] or repository["url"]
        note = f"Shipped in {row['release_tag']} by commit {row['sha'][:7]} of {where}."
        try:
            await idea_queries.change_status(
                db,
                idea_id=row["idea_id"],
                actor_id=repository["ships_ideas_by_id"],
                status="shipped",
                note=note,
                note_html=idea_queries.render_plain(note),
            )
        except idea_queries.StatusUnchanged:
            continue
        shipped += 1
    return shipped


async def sync_job(context: JobContext, payload: dict) -> None:
    await sync_repository(context.db, context.settings, int(payload["repository_id"]))
    await ensure_schedule(context.db, context.settings)


async def schedule_job(context: JobContext, payload: dict) -> None:
    """Ask for a sync of every repository not synced for an interval, then come back after one."""
    interval = timedelta(minutes=context.settings.repos_sync_interval)
    if not interval:
        return
    for repository_id in await queries.repository_ids(context.db, synced_before=context.now - interval):
        await queries.enqueue_sync(context.db, repository_id)
    # The running job still holds its own unique key: the next one takes the other of two keys.
    turn = (int(payload.get("turn", 0)) + 1) % 2
    await enqueue(
        context.db, SCHEDULE_JOB, {"turn": turn}, run_at=context.now + interval, unique_key=f"{SCHEDULE_JOB}:{turn}"
    )


async def ensure_schedule(db: Database, settings: Settings) -> None:
    """Start the chain of scheduled syncs unless it runs already; called when a repository is linked
    and after every sync, so the chain lives as long as there are repositories and needs no start-up work.

    Its first run is one interval later (a linked repository syncs at once anyway).
    """
    if settings.repos_sync_interval > 0 and not await queries.schedule_pending(db, SCHEDULE_JOB):
        run_at = utcnow() + timedelta(minutes=settings.repos_sync_interval)
        await enqueue(db, SCHEDULE_JOB, {"turn": 0}, run_at=run_at, unique_key=f"{SCHEDULE_JOB}:0")


def remove_mirror(settings: Settings, repository_id: int) -> None:
    git.remove_mirror(mirror_path(settings, repository_id))
