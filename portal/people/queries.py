"""Reads and writes of profiles and the people directory: the only place their SQL lives."""

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from starlette.requests import Request

from portal.accounts.tables import users
from portal.db import Database, utcnow
from portal.errors import NotFound
from portal.paging import Page, fetch_page
from portal.people.contribution import ensure_profile
from portal.people.tables import avatars, expertise_tags, profile_expertise, profiles

DIRECTORY_PAGE = 20


class MemberNotFound(NotFound):
    message = "There is no member with that username."


_MEMBER_COLUMNS = (
    users.c.id,
    users.c.username,
    users.c.display_name,
    users.c.role,
    users.c.is_founder,
    users.c.created_at,
    profiles.c.bio_html,
    profiles.c.affiliation,
    profiles.c.for_hire,
    profiles.c.hire_rates,
    profiles.c.avatar_version,
    profiles.c.ideas_shipped,
    profiles.c.accepted_answers,
    profiles.c.linked_commits,
    profiles.c.contribution_score,
)


async def get_profile(db: Database, username: str) -> Any:
    """The member and everything public on their profile (the domains add theirs: profile_sections)."""
    row = await db.fetch_one(
        sa.select(
            *_MEMBER_COLUMNS,
            profiles.c.bio,
            profiles.c.links,
            profiles.c.hire_services,
            profiles.c.hire_contact,
        )
        .select_from(users.join(profiles, profiles.c.user_id == users.c.id))
        .where(users.c.username == username)
    )
    if row is None:
        raise MemberNotFound(username)
    return row


async def get_own_profile(db: Database, user_id: int) -> Any:
    await ensure_profile(db, user_id)
    return await db.fetch_one(
        sa.select(users.c.display_name, users.c.username, profiles)
        .select_from(users.join(profiles, profiles.c.user_id == users.c.id))
        .where(users.c.id == user_id)
    )


async def expertise_of(db: Database, user_ids: list[int]) -> dict[int, list[Any]]:
    """The expertise tags of these members, in one query."""
    if not user_ids:
        return {}
    rows = await db.fetch_all(
        sa.select(profile_expertise)
        .where(profile_expertise.c.user_id.in_(user_ids))
        .order_by(profile_expertise.c.user_id, profile_expertise.c.slug)
    )
    found: dict[int, list[Any]] = {}
    for row in rows:
        found.setdefault(row["user_id"], []).append(row)
    return found


async def update_profile(db: Database, user_id: int, data: dict[str, Any]) -> None:
    """Save the profile form: the display name on the account, the rest on the profile, the tags."""
    async with db.transaction():
        await ensure_profile(db, user_id)
        await db.execute(users.update().where(users.c.id == user_id).values(display_name=data["display_name"]))
        await db.execute(
            profiles.update()
            .where(profiles.c.user_id == user_id)
            .values(
                bio=data["bio"],
                bio_html=data["bio_html"],
                affiliation=data["affiliation"],
                links=data["links"],
                for_hire=data["for_hire"],
                hire_services=data["hire_services"],
                hire_rates=data["hire_rates"],
                hire_contact=data["hire_contact"],
                updated_at=utcnow(),
            )
        )
        await set_expertise(db, user_id, data["expertise"])


async def set_expertise(db: Database, user_id: int, named: dict[str, str]) -> None:
    """Replace the member's expertise tags ({slug: name}) and move the tags' member counts."""
    async with db.transaction():
        rows = await db.fetch_all(sa.select(profile_expertise.c.slug).where(profile_expertise.c.user_id == user_id))
        old = {row["slug"] for row in rows}
        await db.execute(profile_expertise.delete().where(profile_expertise.c.user_id == user_id))
        if named:
            await db.execute_many(
                profile_expertise.insert(),
                [{"user_id": user_id, "slug": slug, "name": name} for slug, name in named.items()],
            )
        await _count_expertise(
            db, removed=sorted(old - set(named)), added={s: named[s] for s in sorted(set(named) - old)}
        )


async def _count_expertise(db: Database, *, removed: list[str], added: dict[str, str]) -> None:
    if removed:
        await db.execute(
            expertise_tags.update()
            .where(expertise_tags.c.slug.in_(removed))
            .values(member_count=expertise_tags.c.member_count - 1)
        )
        await db.execute(expertise_tags.delete().where(expertise_tags.c.member_count <= 0))
    for slug, name in added.items():
        statement = db.insert(expertise_tags).values(slug=slug, name=name, member_count=1)
        await db.execute(
            statement.on_conflict_do_update(
                index_elements=["slug"], set_={"member_count": expertise_tags.c.member_count + 1}
            )
        )


async def forget_expertise(db: Database, user_id: int) -> None:
    """Before a member's tags go with their account, take them out of the tags' counts."""
    await set_expertise(db, user_id, {})


async def set_avatar(db: Database, user_id: int, *, content_type: str, data: bytes) -> None:
    async with db.transaction():
        await ensure_profile(db, user_id)
        values = {"content_type": content_type, "data": data, "updated_at": utcnow()}
        await db.execute(
            db.insert(avatars)
            .values(user_id=user_id, **values)
            .on_conflict_do_update(index_elements=["user_id"], set_=values)
        )
        await db.execute(
            profiles.update()
            .where(profiles.c.user_id == user_id)
            .values(avatar_version=sa.func.coalesce(profiles.c.avatar_version, 0) + 1)
        )


async def remove_avatar(db: Database, user_id: int) -> None:
    async with db.transaction():
        await db.execute(avatars.delete().where(avatars.c.user_id == user_id))
        await db.execute(profiles.update().where(profiles.c.user_id == user_id).values(avatar_version=None))


async def get_avatar(db: Database, username: str) -> Any | None:
    return await db.fetch_one(
        sa.select(avatars.c.content_type, avatars.c.data, avatars.c.updated_at)
        .join(users, users.c.id == avatars.c.user_id)
        .where(users.c.username == username)
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def parse_directory_cursor(value: str) -> tuple[int, int]:
    score, _, user_id = value.partition(".")
    if not (score.lstrip("-").isdecimal() and user_id.isdecimal()) or len(value) > 40:
        raise ValueError(value)
    return int(score), int(user_id)


async def list_members(
    db: Database, *, name: str = "", tag: str = "", for_hire: bool = False, after: tuple[int, int] | None = None
) -> Page:
    """Members ranked by contribution score (ties: newest member first), keyset paginated.

    Roles play no part in the order.
    """
    query = (
        sa.select(*_MEMBER_COLUMNS)
        .select_from(users.join(profiles, profiles.c.user_id == users.c.id))
        .order_by(profiles.c.contribution_score.desc(), profiles.c.user_id.desc())
    )
    if name:
        pattern = f"%{_escape_like(name.lower())}%"
        query = query.where(
            sa.or_(
                sa.func.lower(users.c.display_name).like(pattern, escape="\\"),
                users.c.username.like(pattern, escape="\\"),
            )
        )
    if tag:
        query = query.where(
            sa.exists().where(profile_expertise.c.user_id == profiles.c.user_id, profile_expertise.c.slug == tag)
        )
    if for_hire:
        query = query.where(profiles.c.for_hire == sa.true())
    if after is not None:
        score, user_id = after
        query = query.where(
            sa.or_(
                profiles.c.contribution_score < score,
                sa.and_(profiles.c.contribution_score == score, profiles.c.user_id < user_id),
            )
        )
    return await fetch_page(db, query, DIRECTORY_PAGE, lambda last: f"{last['contribution_score']}.{last['id']}")


async def popular_expertise(db: Database, limit: int = 20) -> list[Any]:
    """The tags most members list, from the stored counts."""
    return await db.fetch_all(
        sa.select(expertise_tags.c.slug, expertise_tags.c.name, expertise_tags.c.member_count.label("members"))
        .order_by(expertise_tags.c.member_count.desc(), expertise_tags.c.slug.desc())
        .limit(limit)
    )


# A profile section (the domains' `profile_sections`): an async function (db, request, member row) that
# returns a dict merged into the page's context, e.g. {"accepted_answers_list": [...]}, shown by
# templates/people/_profile_extras.html. Each function must issue a fixed number of statements.
ProfileSection = Callable[[Database, Request, Any], Awaitable[dict[str, Any]]]


async def profile_sections(
    db: Database, request: Request, member: Any, sections: Sequence[ProfileSection]
) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for section in sections:
        context.update(await section(db, request, member))
    return context


async def note_visit(db: Database, user_id: int, *, now: datetime, refresh_after, new_visit_after) -> Any:
    """When the member's previous visit ended, moving the marks at most every `refresh_after`.

    A look after a gap longer than `new_visit_after` starts a new visit: what the last one
    saw becomes "previous". Returns the previous-visit moment the page marks news against.
    """
    row = await db.fetch_one(
        sa.select(profiles.c.last_seen_at, profiles.c.previous_seen_at).where(profiles.c.user_id == user_id)
    )
    last = row["last_seen_at"] if row else None
    previous = row["previous_seen_at"] if row else None
    if row is None or last is None or now - last >= new_visit_after:
        previous = last
        await ensure_profile(db, user_id)
        await db.execute(
            profiles.update().where(profiles.c.user_id == user_id).values(last_seen_at=now, previous_seen_at=previous)
        )
    elif now - last >= refresh_after:
        await db.execute(profiles.update().where(profiles.c.user_id == user_id).values(last_seen_at=now))
    return previous
