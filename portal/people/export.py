"""A member's own data as one JSON document (the download on /settings/data).

Each section reads one kind of thing the member did and says which member columns it
covers. Every column of the portal's tables that refers to a member is either covered by a
section or left out with the reason it stays out of the download: a test
(tests/portal/people/test_your_data.py) walks the tables and fails on a column in neither,
so a table added later cannot quietly miss the download.

A domain lists its sections in its Domain, and the columns it leaves out with why:

    export_sections={"threads": section(export_threads, threads.c.author_id)},
    export_left_out={"threads.locked_by_id": "a moderator's act on other members' threads"},

    async def export_threads(db: Database, user_id: int) -> list[dict]:
        ...  # what the member wrote in this domain

A section named "parent.child" is put inside the dict of the section "parent" (roadmap adds
"following.roadmap" to the ideas' "following"). The sections here are the shell's
(portal/people/domain.py lists them).

Secrets never go in: no password or token hashes, no session or sign-in links.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from portal.accounts.tables import api_tokens, oauth_accounts, users
from portal.db import Database
from portal.notifications.tables import email_preferences, email_settings, notifications
from portal.people.tables import avatars, profile_expertise, profiles

ExportRead = Callable[[Database, int], Awaitable[Any]]


@dataclass(frozen=True)
class ExportSection:
    read: ExportRead
    # "table.column" of every member column whose rows this section puts in the download.
    covers: frozenset[str]


def section(read: ExportRead, *covers: sa.Column) -> ExportSection:
    return ExportSection(read, frozenset(f"{column.table.name}.{column.name}" for column in covers))


# The shell's columns referring to members whose rows stay out of the download (and the
# member's own columns of users that it leaves out), and why.
LEFT_OUT: dict[str, str] = {
    "users.id": "the account's number inside this portal, which means nothing elsewhere",
    "users.password_hash": "a secret: the hash of the member's password",
    "users.unread_notifications": "a count of the notifications section's entries without read_at",
    "sessions.user_id": "signed-in browsers: each row is the hash of a session secret, and nothing the member wrote",
    "outbox.user_id": "copies of emails already delivered to the member's inbox; they hold sign-in and reset links",
    "mentions.user_id": "other members' posts that name the member, theirs to download (notifications list them)",
    "notifications.actor_id": "other members' notifications about what the member did, which the other sections hold",
    "flags.resolved_by_id": "a moderator acting on other members' reports: the reports are theirs",
    "moderation_log.actor_id": "a moderator's actions, kept in the public moderation log",
    "site_texts.updated_by_id": "the site's own texts (the code of conduct), which an admin edits for everyone",
    "webhooks.created_by_id": "an admin's webhooks belong to the site and carry signing secrets",
}


def covered_columns(sections: Mapping[str, ExportSection], left_out: Mapping[str, str]) -> set[str]:
    """Every "table.column" referring to members that the download holds or leaves out on purpose
    (the app's: request.app.state.assembly.export_sections and export_left_out)."""
    return {name for section in sections.values() for name in section.covers} | set(left_out)


async def export_member(db: Database, user_id: int, sections: Mapping[str, ExportSection]) -> dict[str, Any]:
    download: dict[str, Any] = {}
    for name, export in sections.items():
        parent, _, child = name.partition(".")
        if child:
            download[parent][child] = await export.read(db, user_id)
        else:
            download[name] = await export.read(db, user_id)
    return download


def plain(row: Any, *names: str) -> dict[str, Any]:
    return {name: row[name] for name in names}


_ACCOUNT_FIELDS = (
    "username",
    "email",
    "display_name",
    "role",
    "is_founder",
    "created_at",
    "email_verified_at",
    "email_confirmation_sent_at",
    "password_reset_sent_at",
    "suspended_until",
    "suspension_reason",
)


async def export_account(db: Database, user_id: int) -> dict[str, Any]:
    user = await db.fetch_one(sa.select(users).where(users.c.id == user_id))
    links = await db.fetch_all(sa.select(oauth_accounts).where(oauth_accounts.c.user_id == user_id))
    return {
        **plain(user, *_ACCOUNT_FIELDS),
        "sign_in_providers": [plain(link, "provider", "email", "created_at") for link in links],
    }


async def export_profile(db: Database, user_id: int) -> dict[str, Any]:
    profile = await db.fetch_one(sa.select(profiles).where(profiles.c.user_id == user_id))
    expertise = await db.fetch_all(sa.select(profile_expertise.c.name).where(profile_expertise.c.user_id == user_id))
    fields = ("bio", "affiliation", "links", "for_hire", "hire_services", "hire_rates", "hire_contact")
    return {
        **(plain(profile, *fields) if profile else {}),
        # The picture itself is the file the member uploaded; their profile page serves it.
        "has_uploaded_avatar": bool(profile and profile["avatar_version"]),
        "expertise": [row["name"] for row in expertise],
    }


async def export_api_tokens(db: Database, user_id: int) -> list[dict[str, Any]]:
    """What each token is called and can do, and when it was used; never the token or its hash."""
    rows = await db.fetch_all(
        sa.select(
            api_tokens.c.name,
            api_tokens.c.scope,
            api_tokens.c.created_at,
            api_tokens.c.expires_at,
            api_tokens.c.last_used_at,
            api_tokens.c.revoked_at,
            api_tokens.c.revoked_reason,
        )
        .where(api_tokens.c.user_id == user_id)
        .order_by(api_tokens.c.id)
    )
    fields = ("name", "scope", "created_at", "expires_at", "last_used_at", "revoked_at", "revoked_reason")
    return [plain(row, *fields) for row in rows]


async def export_notifications(db: Database, user_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch_all(
        sa.select(notifications).where(notifications.c.user_id == user_id).order_by(notifications.c.id)
    )
    # While a moderator hides the post a notification is about, its subject (the post's title)
    # is for moderators only, as on the notifications page.
    return [
        {**plain(row, "kind", "path", "created_at", "read_at"), "subject": None if row["hidden"] else row["subject"]}
        for row in rows
    ]


async def export_email_settings(db: Database, user_id: int) -> dict[str, Any]:
    emails_off = await db.fetch_val(sa.select(email_settings.c.emails_off).where(email_settings.c.user_id == user_id))
    chosen = await db.fetch_all(sa.select(email_preferences).where(email_preferences.c.user_id == user_id))
    return {"emails_off": bool(emails_off), "per_kind": {row["kind"]: row["delivery"] for row in chosen}}


# The shell's sections, in the order of the download (listed by portal/people/domain.py).
SECTIONS = {
    "account": section(export_account, oauth_accounts.c.user_id, *(users.c[name] for name in _ACCOUNT_FIELDS)),
    "profile": section(export_profile, profiles.c.user_id, profile_expertise.c.user_id, avatars.c.user_id),
    "api_tokens": section(export_api_tokens, api_tokens.c.user_id),
    "notifications": section(export_notifications, notifications.c.user_id),
    "email_settings": section(export_email_settings, email_settings.c.user_id, email_preferences.c.user_id),
}
