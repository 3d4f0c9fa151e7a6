"""A member's own data: everything they wrote as one JSON document, and deleting their account.

Deleting keeps what the member posted (ideas, comments) for the discussions they belong to,
shown under "deleted member", and removes everything personal. It runs in one transaction:

1. every hook in FORGET_HOOKS runs, so that each domain removes the member's rows whose
   removal changes a counter (votes, reactions, ...) and corrects those counters;
2. every column that references users.id without ON DELETE is cleared (nullable) or its rows
   removed, so that a table added later cannot block a deletion;
3. the users row goes; ON DELETE CASCADE removes sessions, linked providers, notifications,
   follows and the profile, ON DELETE SET NULL detaches posts and timeline entries.

A domain that keeps counters over rows of members registers its own cleanup:

    from portal.people.forgetting import forget_hook, export_section

    @forget_hook
    async def forget_member(db: Database, user_id: int) -> None:
        ...  # delete the member's rows and fix the counts, inside the caller's transaction

    @export_section("threads")
    async def export_threads(db: Database, user_id: int) -> list[dict]:
        ...  # what the member wrote in this domain, for the JSON download

and makes sure the module is imported when the app starts (import it from its routes module).
"""

from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa

from ideas import ranking
from ideas.tables import (
    NO_VOTES_SCORE,
    board_follows,
    boards,
    comment_reactions,
    comments,
    idea_follows,
    idea_reactions,
    ideas,
    votes,
)
from portal.accounts.tables import oauth_accounts, users
from portal.db import Database, metadata
from portal.people import queries as people_queries
from portal.people.tables import profile_expertise, profiles

ForgetHook = Callable[[Database, int], Awaitable[None]]
ExportSection = Callable[[Database, int], Awaitable[Any]]
FORGET_HOOKS: list[ForgetHook] = []
EXPORT_SECTIONS: dict[str, ExportSection] = {}


def forget_hook(hook: ForgetHook) -> ForgetHook:
    if hook not in FORGET_HOOKS:
        FORGET_HOOKS.append(hook)
    return hook


def export_section(name: str) -> Callable[[ExportSection], ExportSection]:
    def register(section: ExportSection) -> ExportSection:
        EXPORT_SECTIONS[name] = section
        return section

    return register


class LastAdmin(Exception):
    """The portal would be left without an admin."""


async def delete_account(db: Database, user_id: int) -> None:
    """Remove the member and everything personal; their posts stay, by "deleted member".

    Refuses (LastAdmin) to remove the only admin, who would leave nobody able to appoint one.
    """
    async with db.transaction():
        found = await db.fetch_one(sa.select(users.c.role).where(users.c.id == user_id).with_for_update())
        if found is None:
            return
        if found["role"] == "admin":
            # Locked, so that two admins deleting themselves at once cannot both pass this check.
            admins = await db.fetch_all(sa.select(users.c.id).where(users.c.role == "admin").with_for_update())
            if len(admins) <= 1:
                raise LastAdmin()
        for hook in FORGET_HOOKS:
            await hook(db, user_id)
        await _clear_plain_references(db, user_id)
        await db.execute(users.delete().where(users.c.id == user_id))


async def _clear_plain_references(db: Database, user_id: int) -> None:
    for table in metadata.sorted_tables:
        for foreign_key in table.foreign_keys:
            if foreign_key.column is not users.c.id or foreign_key.ondelete:
                continue
            column = foreign_key.parent
            if column.nullable:
                await db.execute(table.update().where(column == user_id).values({column.name: None}))
            else:
                await db.execute(table.delete().where(column == user_id))


forget_hook(people_queries.forget_expertise)


@forget_hook
async def forget_votes(db: Database, user_id: int) -> None:
    """Take back the member's votes, on open and closed ideas alike, and recount each idea."""
    voted = [row["idea_id"] for row in await db.fetch_all(sa.select(votes.c.idea_id).where(votes.c.user_id == user_id))]
    if not voted:
        return
    # Locked in id order, the order every other writer of several ideas takes them in.
    await db.fetch_all(
        sa.select(ideas.c.id).where(ideas.c.id.in_(voted)).order_by(ideas.c.id).with_for_update(key_share=True)
    )
    await db.execute(votes.delete().where(votes.c.user_id == user_id))
    remaining = await db.fetch_all(sa.select(votes.c.idea_id, votes.c.created_at).where(votes.c.idea_id.in_(voted)))
    exponents: dict[int, list[float]] = {idea_id: [] for idea_id in voted}
    for row in remaining:
        exponents[row["idea_id"]].append(ranking.vote_weight_exponent(row["created_at"]))
    for idea_id, weights in exponents.items():
        await db.execute(
            ideas.update()
            .where(ideas.c.id == idea_id)
            .values(vote_count=len(weights), trending_score=ranking.score_of(weights) if weights else NO_VOTES_SCORE)
        )


@forget_hook
async def forget_reactions(db: Database, user_id: int) -> None:
    """Take back the member's reactions and recount them on each idea and comment."""
    for table, key, owner in (
        (idea_reactions, idea_reactions.c.idea_id, ideas),
        (comment_reactions, comment_reactions.c.comment_id, comments),
    ):
        targets = sorted(
            {row[key.name] for row in await db.fetch_all(sa.select(key).where(table.c.user_id == user_id))}
        )
        if not targets:
            continue
        await db.fetch_all(
            sa.select(owner.c.id).where(owner.c.id.in_(targets)).order_by(owner.c.id).with_for_update(key_share=True)
        )
        await db.execute(table.delete().where(table.c.user_id == user_id))
        counted = await db.fetch_all(
            sa.select(key, table.c.reaction, sa.func.count().label("n"))
            .where(key.in_(targets))
            .group_by(key, table.c.reaction)
        )
        counts: dict[int, dict[str, int]] = {target: {} for target in targets}
        for row in counted:
            counts[row[key.name]][row["reaction"]] = row["n"]
        for target, target_counts in counts.items():
            await db.execute(owner.update().where(owner.c.id == target).values(reaction_counts=target_counts))


def _plain(row: Any, *names: str) -> dict[str, Any]:
    return {name: row[name] for name in names}


@export_section("account")
async def export_account(db: Database, user_id: int) -> dict[str, Any]:
    user = await db.fetch_one(sa.select(users).where(users.c.id == user_id))
    links = await db.fetch_all(sa.select(oauth_accounts).where(oauth_accounts.c.user_id == user_id))
    return {
        **_plain(user, "username", "email", "display_name", "role", "is_founder", "created_at"),
        "sign_in_providers": [_plain(link, "provider", "email", "created_at") for link in links],
    }


@export_section("profile")
async def export_profile(db: Database, user_id: int) -> dict[str, Any]:
    profile = await db.fetch_one(sa.select(profiles).where(profiles.c.user_id == user_id))
    expertise = await db.fetch_all(sa.select(profile_expertise.c.name).where(profile_expertise.c.user_id == user_id))
    fields = ("bio", "affiliation", "links", "for_hire", "hire_services", "hire_rates", "hire_contact")
    return {
        **(_plain(profile, *fields) if profile else {}),
        "has_uploaded_avatar": bool(profile and profile["avatar_version"]),
        "expertise": [row["name"] for row in expertise],
    }


@export_section("ideas")
async def export_ideas(db: Database, user_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch_all(
        sa.select(ideas, boards.c.slug.label("board"))
        .join(boards, boards.c.id == ideas.c.board_id)
        .where(ideas.c.author_id == user_id)
        .order_by(ideas.c.id)
    )
    return [_plain(row, "id", "board", "title", "body", "status", "created_at", "edited_at") for row in rows]


@export_section("comments")
async def export_comments(db: Database, user_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch_all(sa.select(comments).where(comments.c.author_id == user_id).order_by(comments.c.id))
    return [_plain(row, "id", "idea_id", "body", "created_at", "edited_at", "deleted_at") for row in rows]


@export_section("votes")
async def export_votes(db: Database, user_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch_all(
        sa.select(votes.c.idea_id, ideas.c.title, votes.c.created_at)
        .join(ideas, ideas.c.id == votes.c.idea_id)
        .where(votes.c.user_id == user_id)
        .order_by(votes.c.idea_id)
    )
    return [_plain(row, "idea_id", "title", "created_at") for row in rows]


@export_section("reactions")
async def export_reactions(db: Database, user_id: int) -> list[dict[str, Any]]:
    on_ideas = await db.fetch_all(sa.select(idea_reactions).where(idea_reactions.c.user_id == user_id))
    on_comments = await db.fetch_all(sa.select(comment_reactions).where(comment_reactions.c.user_id == user_id))
    return [_plain(row, "idea_id", "reaction", "created_at") for row in on_ideas] + [
        _plain(row, "comment_id", "reaction", "created_at") for row in on_comments
    ]


@export_section("following")
async def export_following(db: Database, user_id: int) -> dict[str, Any]:
    followed_ideas = await db.fetch_all(sa.select(idea_follows).where(idea_follows.c.user_id == user_id))
    followed_boards = await db.fetch_all(
        sa.select(boards.c.slug)
        .join(board_follows, board_follows.c.board_id == boards.c.id)
        .where(board_follows.c.user_id == user_id)
    )
    return {
        "ideas": [_plain(row, "idea_id", "following") for row in followed_ideas],
        "boards": [row["slug"] for row in followed_boards],
    }


async def export_member(db: Database, user_id: int) -> dict[str, Any]:
    return {name: await section(db, user_id) for name, section in EXPORT_SECTIONS.items()}
