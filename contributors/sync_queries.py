"""What a sync writes: commit rows, their links to ideas, release tags, the outcome. SQL only."""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from contributors.queries import linked_commits_by_member
from contributors.tables import commit_ideas, extension_ideas, repo_commits, repositories
from ideas.tables import ideas
from portal.db import Database, utcnow
from portal.people.contribution import record_contribution

CHUNK = 1000


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


_COMMIT_FIELDS = ("sha", "author_name", "author_email", "authored_at", "subject", "branch", "release_tag")


async def store_commits(db: Database, repository_id: int, rows: list[dict[str, Any]]) -> None:
    """Add commit rows; ones already stored (an interrupted sync) are skipped.

    A first sync can bring 50,000 commits, and compiling a SQLAlchemy statement per row (or a many-row
    VALUES) costs seconds: SQLite gets one prepared statement and executemany, PostgreSQL one statement
    over arrays (unnest).
    """
    names = ", ".join(("repository_id", *_COMMIT_FIELDS))
    conflict = "ON CONFLICT (repository_id, sha) DO NOTHING"
    for chunk in _chunks(rows, 5000):
        async with db.transaction() as connection:
            if db.is_sqlite:
                # What portal.db.UTCDateTime stores on SQLite: naive UTC text.
                values = [
                    (repository_id, *(_sqlite_moment(row[f]) if f == "authored_at" else row[f] for f in _COMMIT_FIELDS))
                    for row in chunk
                ]
                statement = f"INSERT INTO repo_commits ({names}) VALUES ({', '.join('?' * 8)}) {conflict}"
                await connection.executemany(statement, values)
            else:
                arrays = [[row[f] for row in chunk] for f in _COMMIT_FIELDS]
                casts = ["varchar[]", "varchar[]", "varchar[]", "timestamptz[]", "varchar[]", "varchar[]", "varchar[]"]
                columns = ", ".join(f"${n + 2}::{cast}" for n, cast in enumerate(casts))
                statement = f"INSERT INTO repo_commits ({names}) SELECT $1, * FROM unnest({columns}) {conflict}"
                await connection.raw_connection.execute(statement, repository_id, *arrays)


def _sqlite_moment(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


async def set_release_tags(db: Database, repository_id: int, first_tags: dict[str, str]) -> None:
    """Give commits stored earlier the tag that now first contains them (new rows got it when added)."""
    by_tag: dict[str, list[str]] = {}
    for sha, tag in first_tags.items():
        by_tag.setdefault(tag, []).append(sha)
    for tag, shas in by_tag.items():
        for chunk in _chunks(shas):
            await db.execute(
                repo_commits.update()
                .where(
                    repo_commits.c.repository_id == repository_id,
                    repo_commits.c.release_tag.is_(None),
                    repo_commits.c.sha.in_(chunk),
                )
                .values(release_tag=tag)
            )


async def link_commits(db: Database, repository_id: int, references: dict[str, dict[int, bool]]) -> int:
    """Link commits to the ideas their messages reference (ideas that exist); returns the links added."""
    added = 0
    wanted = sorted({idea_id for refs in references.values() for idea_id in refs})
    existing: set[int] = set()
    for chunk in _chunks(wanted):
        existing.update(row["id"] for row in await db.fetch_all(sa.select(ideas.c.id).where(ideas.c.id.in_(chunk))))
    shas = [sha for sha, refs in references.items() if existing & refs.keys()]
    for chunk in _chunks(shas):
        commits = await db.fetch_all(
            sa.select(
                repo_commits.c.id, repo_commits.c.sha, repo_commits.c.author_email, repo_commits.c.authored_at
            ).where(repo_commits.c.repository_id == repository_id, repo_commits.c.sha.in_(chunk))
        )
        rows = [
            {
                "commit_id": commit["id"],
                "idea_id": idea_id,
                "implements": implements,
                "author_email": commit["author_email"],
                "authored_at": commit["authored_at"],
            }
            for commit in commits
            for idea_id, implements in references[commit["sha"]].items()
            if idea_id in existing
        ]
        if rows:
            async with db.transaction():
                commit_ids = sorted({row["commit_id"] for row in rows})
                linked_before = await db.fetch_all(
                    sa.select(commit_ideas.c.commit_id.label("id"))
                    .distinct()
                    .where(commit_ideas.c.commit_id.in_(commit_ids))
                )
                await db.execute(db.insert(commit_ideas).values(rows).on_conflict_do_nothing())
                # A commit counts once on its author's profile, when it is first linked to an idea.
                first_linked = sorted(set(commit_ids) - {row["id"] for row in linked_before})
                for user_id, count in (await linked_commits_by_member(db, first_linked)).items():
                    await record_contribution(db, user_id, linked_commits=count)
            added += len(rows)
    return added


async def ideas_shipped_by_tags(db: Database, repository_id: int, tags: list[str]) -> list[Any]:
    """`Implements:` commits of this repository that first landed in one of `tags`, on ideas not closed."""
    if not tags:
        return []
    return await db.fetch_all(
        sa.select(commit_ideas.c.idea_id, repo_commits.c.sha, repo_commits.c.release_tag)
        .select_from(commit_ideas.join(repo_commits, repo_commits.c.id == commit_ideas.c.commit_id))
        .join(ideas, ideas.c.id == commit_ideas.c.idea_id)
        .where(
            repo_commits.c.repository_id == repository_id,
            repo_commits.c.release_tag.in_(tags),
            commit_ideas.c.implements.is_(True),
            ideas.c.status.not_in(("shipped", "declined", "duplicate")),
        )
        .order_by(repo_commits.c.authored_at, repo_commits.c.id)
    )


async def set_extension_ideas(db: Database, repository_id: int, idea_ids: list[int]) -> None:
    async with db.transaction():
        await db.execute(extension_ideas.delete().where(extension_ideas.c.repository_id == repository_id))
        if idea_ids:
            found = await db.fetch_all(sa.select(ideas.c.id).where(ideas.c.id.in_(idea_ids)))
            rows = [{"repository_id": repository_id, "idea_id": row["id"]} for row in found]
            if rows:
                await db.execute(extension_ideas.insert().values(rows))


async def finish_sync(db: Database, repository_id: int, **values: Any) -> None:
    async with db.transaction():
        count = await db.fetch_val(
            sa.select(sa.func.count()).select_from(repo_commits).where(repo_commits.c.repository_id == repository_id)
        )
        last = await db.fetch_val(
            sa.select(sa.func.max(repo_commits.c.authored_at)).where(repo_commits.c.repository_id == repository_id)
        )
        await db.execute(
            repositories.update()
            .where(repositories.c.id == repository_id)
            .values(
                **values,
                commit_count=count,
                last_commit_at=last,
                last_sync_at=utcnow(),
                last_sync_ok=True,
                last_sync_error=None,
            )
        )


async def fail_sync(db: Database, repository_id: int, *, error: str, seconds: float) -> None:
    await db.execute(
        repositories.update()
        .where(repositories.c.id == repository_id)
        .values(last_sync_at=utcnow(), last_sync_ok=False, last_sync_error=error[:2000], last_sync_seconds=seconds)
    )


async def take_sync_lease(db: Database, repository_id: int, *, until: datetime) -> bool:
    """Claim the repository for one sync until `until`; False while another sync holds it."""
    now = utcnow()
    claimed = await db.fetch_one(
        repositories.update()
        .where(
            repositories.c.id == repository_id,
            sa.or_(repositories.c.sync_lease_until.is_(None), repositories.c.sync_lease_until < now),
        )
        .values(sync_lease_until=until)
        .returning(repositories.c.id)
    )
    return claimed is not None


async def release_sync_lease(db: Database, repository_id: int) -> None:
    await db.execute(repositories.update().where(repositories.c.id == repository_id).values(sync_lease_until=None))
