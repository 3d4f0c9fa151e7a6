"""A member's own data as one JSON document (the download on /settings/data).

Each section reads one kind of thing the member did and says which member columns it
covers. Every column of the portal's tables that refers to a member is either covered by a
section or listed in LEFT_OUT with the reason it stays out of the download: a test
(tests/portal/people/test_your_data.py) walks the tables and fails on a column in neither,
so a table added later cannot quietly miss the download.

A domain adds its own section:

    from portal.people.export import export_section

    @export_section("threads", covers=[threads.c.author_id])
    async def export_threads(db: Database, user_id: int) -> list[dict]:
        ...  # what the member wrote in this domain

Secrets never go in: no password or token hashes, no session or sign-in links.
"""

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from contributors.tables import repositories
from ideas.discussions.tables import (
    discussion_categories,
    reply_reactions,
    thread_follows,
    thread_reactions,
    thread_replies,
    threads,
)
from ideas.moderation.tables import flags
from ideas.tables import board_follows, boards, comment_reactions, comments, idea_follows, idea_reactions, ideas, votes
from portal.accounts.tables import api_tokens, oauth_accounts, users
from portal.db import Database
from portal.notifications.tables import email_preferences, email_settings, notifications
from portal.people.tables import avatars, profile_expertise, profiles
from roadmap.tables import roadmap_follows

ExportRead = Callable[[Database, int], Awaitable[Any]]


@dataclass(frozen=True)
class ExportSection:
    read: ExportRead
    # "table.column" of every member column whose rows this section puts in the download.
    covers: frozenset[str]


EXPORT_SECTIONS: dict[str, ExportSection] = {}

# Columns referring to members whose rows stay out of the download (and the member's own
# columns of users that it leaves out), and why.
LEFT_OUT: dict[str, str] = {
    "users.id": "the account's number inside this portal, which means nothing elsewhere",
    "users.password_hash": "a secret: the hash of the member's password",
    "users.unread_notifications": "a count of the notifications section's entries without read_at",
    "sessions.user_id": "signed-in browsers: each row is the hash of a session secret, and nothing the member wrote",
    "outbox.user_id": "copies of emails already delivered to the member's inbox; they hold sign-in and reset links",
    "mentions.user_id": "other members' posts that name the member, theirs to download (notifications list them)",
    "notifications.actor_id": "other members' notifications about what the member did, which the other sections hold",
    "comments.edited_by_id": "a moderator's edits of other members' comments: the comments are their authors'",
    "idea_events.actor_id": "idea timelines (status changes, merges, edits) kept on each idea's public page",
    "flags.resolved_by_id": "a moderator acting on other members' reports: the reports are theirs",
    "moderation_log.actor_id": "a moderator's actions, kept in the public moderation log",
    "roadmap_publications.published_by_id": "publishing the roadmap, a maintainer's act for the whole site",
    "site_texts.updated_by_id": "the site's own texts (the code of conduct), which an admin edits for everyone",
    "webhooks.created_by_id": "an admin's webhooks belong to the site and carry signing secrets",
    "repositories.ships_ideas_by_id": "a maintainer's switch on a repository linked for the whole site",
}


def export_section(name: str, *, covers: Iterable[sa.Column]) -> Callable[[ExportRead], ExportRead]:
    def register(read: ExportRead) -> ExportRead:
        EXPORT_SECTIONS[name] = ExportSection(
            read, frozenset(f"{column.table.name}.{column.name}" for column in covers)
        )
        return read

    return register


def covered_columns() -> set[str]:
    """Every "table.column" referring to members that the download holds or leaves out on purpose."""
    return {name for section in EXPORT_SECTIONS.values() for name in section.covers} | set(LEFT_OUT)


async def export_member(db: Database, user_id: int) -> dict[str, Any]:
    return {name: await section.read(db, user_id) for name, section in EXPORT_SECTIONS.items()}


def _plain(row: Any, *names: str) -> dict[str, Any]:
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


@export_section("account", covers=[oauth_accounts.c.user_id, *(users.c[name] for name in _ACCOUNT_FIELDS)])
async def export_account(db: Database, user_id: int) -> dict[str, Any]:
    user = await db.fetch_one(sa.select(users).where(users.c.id == user_id))
    links = await db.fetch_all(sa.select(oauth_accounts).where(oauth_accounts.c.user_id == user_id))
    return {
        **_plain(user, *_ACCOUNT_FIELDS),
        "sign_in_providers": [_plain(link, "provider", "email", "created_at") for link in links],
    }


@export_section("profile", covers=[profiles.c.user_id, profile_expertise.c.user_id, avatars.c.user_id])
async def export_profile(db: Database, user_id: int) -> dict[str, Any]:
    profile = await db.fetch_one(sa.select(profiles).where(profiles.c.user_id == user_id))
    expertise = await db.fetch_all(sa.select(profile_expertise.c.name).where(profile_expertise.c.user_id == user_id))
    fields = ("bio", "affiliation", "links", "for_hire", "hire_services", "hire_rates", "hire_contact")
    return {
        **(_plain(profile, *fields) if profile else {}),
        # The picture itself is the file the member uploaded; their profile page serves it.
        "has_uploaded_avatar": bool(profile and profile["avatar_version"]),
        "expertise": [row["name"] for row in expertise],
    }


@export_section("api_tokens", covers=[api_tokens.c.user_id])
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
    return [_plain(row, *fields) for row in rows]


@export_section("ideas", covers=[ideas.c.author_id])
async def export_ideas(db: Database, user_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch_all(
        sa.select(ideas, boards.c.slug.label("board"))
        .join(boards, boards.c.id == ideas.c.board_id)
        .where(ideas.c.author_id == user_id)
        .order_by(ideas.c.id)
    )
    return [_plain(row, "id", "board", "title", "body", "status", "created_at", "edited_at") for row in rows]


@export_section("comments", covers=[comments.c.author_id])
async def export_comments(db: Database, user_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch_all(sa.select(comments).where(comments.c.author_id == user_id).order_by(comments.c.id))
    return [_plain(row, "id", "idea_id", "body", "created_at", "edited_at", "deleted_at") for row in rows]


@export_section("threads", covers=[threads.c.author_id])
async def export_threads(db: Database, user_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch_all(
        sa.select(threads, discussion_categories.c.slug.label("category"))
        .join(discussion_categories, discussion_categories.c.id == threads.c.category_id)
        .where(threads.c.author_id == user_id)
        .order_by(threads.c.id)
    )
    fields = ("id", "category", "title", "body", "deadline", "created_at", "edited_at", "hidden_at")
    return [_plain(row, *fields) for row in rows]


@export_section("replies", covers=[thread_replies.c.author_id])
async def export_replies(db: Database, user_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch_all(
        sa.select(thread_replies).where(thread_replies.c.author_id == user_id).order_by(thread_replies.c.id)
    )
    fields = ("id", "thread_id", "body", "is_accepted", "created_at", "edited_at", "hidden_at")
    return [_plain(row, *fields) for row in rows]


@export_section("votes", covers=[votes.c.user_id])
async def export_votes(db: Database, user_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch_all(
        sa.select(votes.c.idea_id, ideas.c.title, votes.c.created_at)
        .join(ideas, ideas.c.id == votes.c.idea_id)
        .where(votes.c.user_id == user_id)
        .order_by(votes.c.idea_id)
    )
    return [_plain(row, "idea_id", "title", "created_at") for row in rows]


@export_section(
    "reactions",
    covers=[
        idea_reactions.c.user_id,
        comment_reactions.c.user_id,
        thread_reactions.c.user_id,
        reply_reactions.c.user_id,
    ],
)
async def export_reactions(db: Database, user_id: int) -> list[dict[str, Any]]:
    reactions = []
    for table, key in (
        (idea_reactions, "idea_id"),
        (comment_reactions, "comment_id"),
        (thread_reactions, "thread_id"),
        (reply_reactions, "reply_id"),
    ):
        rows = await db.fetch_all(sa.select(table).where(table.c.user_id == user_id).order_by(table.c[key]))
        reactions += [_plain(row, key, "reaction", "created_at") for row in rows]
    return reactions


@export_section(
    "following",
    covers=[idea_follows.c.user_id, board_follows.c.user_id, thread_follows.c.user_id, roadmap_follows.c.user_id],
)
async def export_following(db: Database, user_id: int) -> dict[str, Any]:
    followed_ideas = await db.fetch_all(sa.select(idea_follows).where(idea_follows.c.user_id == user_id))
    followed_boards = await db.fetch_all(
        sa.select(boards.c.slug)
        .join(board_follows, board_follows.c.board_id == boards.c.id)
        .where(board_follows.c.user_id == user_id)
    )
    followed_threads = await db.fetch_all(sa.select(thread_follows).where(thread_follows.c.user_id == user_id))
    roadmap = await db.fetch_val(sa.select(sa.func.count()).where(roadmap_follows.c.user_id == user_id))
    return {
        "ideas": [_plain(row, "idea_id", "following") for row in followed_ideas],
        "boards": [row["slug"] for row in followed_boards],
        "threads": [_plain(row, "thread_id", "following") for row in followed_threads],
        "roadmap": bool(roadmap),
    }


@export_section("notifications", covers=[notifications.c.user_id])
async def export_notifications(db: Database, user_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch_all(
        sa.select(notifications).where(notifications.c.user_id == user_id).order_by(notifications.c.id)
    )
    # While a moderator hides the post a notification is about, its subject (the post's title)
    # is for moderators only, as on the notifications page.
    return [
        {**_plain(row, "kind", "path", "created_at", "read_at"), "subject": None if row["hidden"] else row["subject"]}
        for row in rows
    ]


@export_section("email_settings", covers=[email_settings.c.user_id, email_preferences.c.user_id])
async def export_email_settings(db: Database, user_id: int) -> dict[str, Any]:
    emails_off = await db.fetch_val(sa.select(email_settings.c.emails_off).where(email_settings.c.user_id == user_id))
    chosen = await db.fetch_all(sa.select(email_preferences).where(email_preferences.c.user_id == user_id))
    return {"emails_off": bool(emails_off), "per_kind": {row["kind"]: row["delivery"] for row in chosen}}


@export_section("flags", covers=[flags.c.user_id])
async def export_flags(db: Database, user_id: int) -> list[dict[str, Any]]:
    """The member's reports about posts (not what moderators or other members did with them)."""
    rows = await db.fetch_all(sa.select(flags).where(flags.c.user_id == user_id).order_by(flags.c.id))
    return [_plain(row, "target_kind", "target_id", "reason", "created_at", "resolved_at") for row in rows]


@export_section("repositories", covers=[repositories.c.owner_id])
async def export_repositories(db: Database, user_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch_all(
        sa.select(repositories.c.url, repositories.c.kind, repositories.c.name)
        .where(repositories.c.owner_id == user_id)
        .order_by(repositories.c.id)
    )
    return [_plain(row, "url", "kind", "name") for row in rows]
