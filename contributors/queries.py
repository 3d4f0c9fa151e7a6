"""Linked repositories, their commits and the ideas those reference: every statement lives here."""

import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from contributors.hosts import commit_url
from contributors.tables import commit_ideas, extension_ideas, repo_commits, repositories
from ideas.tables import ideas
from portal.accounts.tables import oauth_accounts, users
from portal.db import Database, utcnow
from portal.jobs.queries import enqueue
from portal.jobs.tables import jobs
from portal.paging import Page, fetch_page, id_text
from portal.people.contribution import record_contribution
from portal.statements import kept

PAGE = 50
SYNC_JOB = "repo-sync"
# A push that arrives while its repository syncs gets a second sync this much later.
FOLLOW_UP_DELAY = timedelta(seconds=30)


class RepositoryTaken(Exception):
    def __init__(self, repository_id: int) -> None:
        super().__init__(repository_id)
        self.repository_id = repository_id


async def enqueue_sync(db: Database, repository_id: int, *, run_at: datetime | None = None) -> bool:
    """Ask for a sync; a burst of pushes makes at most two (the one running may have missed the last push)."""
    payload = {"repository_id": repository_id}
    if await enqueue(db, SYNC_JOB, payload, run_at=run_at, unique_key=f"repo-sync:{repository_id}"):
        return True
    later = (run_at or utcnow()) + FOLLOW_UP_DELAY
    return await enqueue(db, SYNC_JOB, payload, run_at=later, unique_key=f"repo-sync-again:{repository_id}")


async def schedule_pending(db: Database, kind: str) -> bool:
    row = await db.fetch_one(sa.select(jobs.c.id).where(jobs.c.kind == kind, jobs.c.finished_at.is_(None)).limit(1))
    return row is not None


async def create_repository(
    db: Database, *, url: str, url_key: str, kind: str, owner_id: int, web_url: str | None, web_kind: str | None
) -> int:
    """Link a repository and ask for its first sync, in one transaction."""
    async with db.transaction():
        taken = await db.fetch_one(sa.select(repositories.c.id).where(repositories.c.url_key == url_key))
        if taken is not None:
            raise RepositoryTaken(taken["id"])
        repository_id = await db.fetch_val(
            repositories.insert()
            .values(
                url=url,
                url_key=url_key,
                kind=kind,
                owner_id=owner_id,
                web_url=web_url,
                web_kind=web_kind,
                webhook_token=secrets.token_urlsafe(24),
                created_at=utcnow(),
            )
            .returning(repositories.c.id)
        )
        await enqueue_sync(db, repository_id)
    return repository_id


_OWNER = [users.c.username.label("owner_username"), users.c.display_name.label("owner_display_name")]


async def get_repository(db: Database, repository_id: int) -> Any | None:
    return await db.fetch_one(
        sa.select(repositories, *_OWNER)
        .select_from(repositories.outerjoin(users, users.c.id == repositories.c.owner_id))
        .where(repositories.c.id == repository_id)
    )


async def list_repositories(db: Database, *, after: int | None = None) -> Page:
    """Newest first, a page at a time after the id `after` (keyset)."""
    query = (
        sa.select(repositories, *_OWNER)
        .select_from(repositories.outerjoin(users, users.c.id == repositories.c.owner_id))
        .order_by(repositories.c.id.desc())
    )
    if after is not None:
        query = query.where(repositories.c.id < after)
    return await fetch_page(db, query, PAGE, id_text)


async def repository_ids(db: Database, *, synced_before: datetime | None = None) -> list[int]:
    query = sa.select(repositories.c.id).order_by(repositories.c.id)
    if synced_before is not None:
        query = query.where(sa.or_(repositories.c.last_sync_at.is_(None), repositories.c.last_sync_at < synced_before))
    return [row["id"] for row in await db.fetch_all(query)]


async def linked_commits_by_member(db: Database, commit_ids: list[int]) -> dict[int, int]:
    """How many of these commits (linked to ideas) each member wrote, matched by their emails."""
    if not commit_ids:
        return {}
    emails = _member_emails()
    rows = await db.fetch_all(
        sa.select(emails.c.user_id, sa.func.count(sa.distinct(repo_commits.c.id)).label("commits"))
        .select_from(repo_commits.join(emails, emails.c.email == sa.func.lower(repo_commits.c.author_email)))
        .where(repo_commits.c.id.in_(commit_ids))
        .group_by(emails.c.user_id)
    )
    return {row["user_id"]: row["commits"] for row in rows}


async def delete_repository(db: Database, repository_id: int) -> None:
    """Unlink a repository: its commits and their links go, and so do the members' counts of them."""
    async with db.transaction():
        linked = await db.fetch_all(
            sa.select(commit_ideas.c.commit_id.label("id"))
            .distinct()
            .join(repo_commits, repo_commits.c.id == commit_ideas.c.commit_id)
            .where(repo_commits.c.repository_id == repository_id)
        )
        for user_id, count in (await linked_commits_by_member(db, [row["id"] for row in linked])).items():
            await record_contribution(db, user_id, linked_commits=-count)
        await db.execute(repositories.delete().where(repositories.c.id == repository_id))


async def set_ships_ideas(db: Database, repository_id: int, *, on: bool, by_id: int) -> None:
    await db.execute(
        repositories.update()
        .where(repositories.c.id == repository_id)
        .values(ships_ideas=on, ships_ideas_by_id=by_id if on else None)
    )


def _public_title() -> sa.ColumnElement:
    """An idea's title, or "a hidden idea" when a moderator hid it."""
    return sa.case((ideas.c.hidden_at.is_(None), ideas.c.title), else_=sa.literal("a hidden idea"))


_COMMIT_COLUMNS = [
    repo_commits.c.sha,
    repo_commits.c.author_name,
    repo_commits.c.authored_at,
    repo_commits.c.subject,
    repo_commits.c.branch,
    repo_commits.c.release_tag,
    repositories.c.id.label("repository_id"),
    repositories.c.url,
    repositories.c.web_url,
    repositories.c.web_kind,
    repositories.c.name.label("repository_name"),
]


def _with_links(rows: list[Any]) -> list[dict[str, Any]]:
    """Commit rows as dicts with `web`, the commit's page on its host when the host is known."""
    # row[key], not row._mapping: on PostgreSQL the mapping skips result processing (time zones).
    return [
        {
            **{key: row[key] for key in row._mapping.keys()},
            "web": commit_url(row["web_url"], row["web_kind"], row["sha"]),
        }
        for row in rows
    ]


@kept
def _commits_for_idea(idea_id: int, limit: int) -> sa.Select:
    return (
        sa.select(*_COMMIT_COLUMNS, commit_ideas.c.implements)
        .select_from(
            commit_ideas.join(repo_commits, repo_commits.c.id == commit_ideas.c.commit_id).join(
                repositories, repositories.c.id == repo_commits.c.repository_id
            )
        )
        .where(commit_ideas.c.idea_id == idea_id)
        .order_by(commit_ideas.c.authored_at.desc(), commit_ideas.c.commit_id.desc())
        .limit(limit)
    )


async def code_linked_to_idea(db: Database, idea_id: int) -> Any:
    """Whether commits (has_commits) and extensions (has_extensions) are linked to the idea, in
    one statement, so that its page asks for them only then."""
    return await db.fetch_one(
        sa.select(
            sa.exists().where(commit_ideas.c.idea_id == idea_id).label("has_commits"),
            sa.exists().where(extension_ideas.c.idea_id == idea_id).label("has_extensions"),
        )
    )


async def commits_for_idea(db: Database, idea_id: int, *, limit: int = PAGE) -> list[Any]:
    """The commits linked to an idea, newest first, with their repository."""
    return _with_links(await db.fetch_all(*_commits_for_idea(idea_id, limit)))


async def linked_commits_of_repository(db: Database, repository_id: int, *, limit: int = PAGE) -> list[Any]:
    return _with_links(
        await db.fetch_all(
            sa.select(*_COMMIT_COLUMNS, commit_ideas.c.idea_id, _public_title().label("idea_title"))
            .select_from(
                repo_commits.join(commit_ideas, commit_ideas.c.commit_id == repo_commits.c.id)
                .join(repositories, repositories.c.id == repo_commits.c.repository_id)
                .join(ideas, ideas.c.id == commit_ideas.c.idea_id)
            )
            .where(repo_commits.c.repository_id == repository_id)
            .order_by(repo_commits.c.authored_at.desc(), repo_commits.c.id.desc())
            .limit(limit)
        )
    )


@kept
def _extensions_for_idea(idea_id: int) -> sa.Select:
    return (
        sa.select(repositories.c.id, repositories.c.name, repositories.c.url, repositories.c.summary)
        .select_from(extension_ideas.join(repositories, repositories.c.id == extension_ideas.c.repository_id))
        .where(extension_ideas.c.idea_id == idea_id)
        .order_by(repositories.c.id)
        .limit(PAGE)
    )


async def extensions_for_idea(db: Database, idea_id: int) -> list[Any]:
    return await db.fetch_all(*_extensions_for_idea(idea_id))


async def ideas_of_extension(db: Database, repository_id: int) -> list[Any]:
    return await db.fetch_all(
        sa.select(ideas.c.id, _public_title().label("title"), ideas.c.status)
        .select_from(extension_ideas.join(ideas, ideas.c.id == extension_ideas.c.idea_id))
        .where(extension_ideas.c.repository_id == repository_id)
        .order_by(ideas.c.id)
    )


async def list_extensions(db: Database, *, search: str = "", after: int | None = None) -> Page:
    """Extensions newest first, keyset by id; `search` matches name, summary, keywords and URL."""
    query = (
        sa.select(repositories, *_OWNER)
        .select_from(repositories.outerjoin(users, users.c.id == repositories.c.owner_id))
        .where(repositories.c.kind == "extension")
        .order_by(repositories.c.id.desc())
    )
    for word in search.lower().split()[:5]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(repositories.c.search_text.like(f"%{escaped}%", escape="\\"))
    if after is not None:
        query = query.where(repositories.c.id < after)
    return await fetch_page(db, query, PAGE, id_text)


# Contributors: a commit counts for a member when its author email is one of the member's emails.
# Those are the account's email and the emails sign-in providers gave (providers must say it is verified
# for a new account; see README, "Whose commits are whose", for what this does not prove).
def _member_emails() -> sa.Subquery:
    return sa.union(
        sa.select(users.c.id.label("user_id"), users.c.email.label("email")),
        sa.select(oauth_accounts.c.user_id, sa.func.lower(oauth_accounts.c.email)).where(
            oauth_accounts.c.email.is_not(None)
        ),
    ).subquery("member_emails")


async def rank_contributors(db: Database, *, since: datetime | None, limit: int = PAGE) -> list[Any]:
    """Members ranked by ideas shipped, then commits linked to ideas, since `since` (None: all time).

    One statement; the role or founder badge plays no part in the order.
    """
    emails = _member_emails()
    shipped_idea = sa.case((ideas.c.status == "shipped", commit_ideas.c.idea_id))
    per_member = (
        sa.select(
            emails.c.user_id,
            sa.func.count(sa.distinct(commit_ideas.c.commit_id)).label("commits"),
            sa.func.count(sa.distinct(shipped_idea)).label("shipped"),
            sa.func.count(sa.distinct(commit_ideas.c.idea_id)).label("ideas"),
        )
        .select_from(
            commit_ideas.join(emails, emails.c.email == commit_ideas.c.author_email).join(
                ideas, ideas.c.id == commit_ideas.c.idea_id
            )
        )
        .group_by(emails.c.user_id)
    )
    if since is not None:
        per_member = per_member.where(commit_ideas.c.authored_at >= since)
    per_member = per_member.subquery("per_member")
    return await db.fetch_all(
        sa.select(
            per_member,
            users.c.username,
            users.c.display_name,
            users.c.role,
            users.c.is_founder,
        )
        .join(users, users.c.id == per_member.c.user_id)
        .order_by(per_member.c.shipped.desc(), per_member.c.commits.desc(), users.c.id)
        .limit(limit)
    )


async def member_repositories(db: Database, user_id: int, *, limit: int = PAGE) -> list[Any]:
    """The repositories a member linked, newest first."""
    return await db.fetch_all(
        sa.select(repositories)
        .where(repositories.c.owner_id == user_id)
        .order_by(repositories.c.id.desc())
        .limit(limit)
    )


async def member_linked_commits(db: Database, user_id: int, *, limit: int = PAGE) -> list[Any]:
    """Commits linked to ideas whose author email is one of the member's, newest first."""
    emails = _member_emails()
    return _with_links(
        await db.fetch_all(
            sa.select(
                *_COMMIT_COLUMNS, commit_ideas.c.idea_id, commit_ideas.c.implements, _public_title().label("idea_title")
            )
            .select_from(
                commit_ideas.join(emails, emails.c.email == commit_ideas.c.author_email)
                .join(repo_commits, repo_commits.c.id == commit_ideas.c.commit_id)
                .join(repositories, repositories.c.id == repo_commits.c.repository_id)
                .join(ideas, ideas.c.id == commit_ideas.c.idea_id)
            )
            .where(emails.c.user_id == user_id)
            .order_by(commit_ideas.c.authored_at.desc(), commit_ideas.c.commit_id.desc())
            .limit(limit)
        )
    )


async def member_shipped_ideas(db: Database, user_id: int, *, limit: int = PAGE) -> list[Any]:
    """Shipped ideas that have a commit by the member linked to them."""
    emails = _member_emails()
    helped = (
        sa.select(commit_ideas.c.idea_id)
        .join(emails, emails.c.email == commit_ideas.c.author_email)
        .where(emails.c.user_id == user_id)
    )
    return await db.fetch_all(
        sa.select(ideas.c.id, _public_title().label("title"), ideas.c.status)
        .where(ideas.c.id.in_(helped), ideas.c.status == "shipped")
        .order_by(ideas.c.id.desc())
        .limit(limit)
    )


async def member_contributions(db: Database, user_id: int) -> dict[str, list[Any]]:
    """Everything the profile section (templates/contributors/_profile_section.html) shows: 3 statements."""
    return {
        "repositories": await member_repositories(db, user_id),
        "commits": await member_linked_commits(db, user_id),
        "shipped": await member_shipped_ideas(db, user_id),
    }
