"""Which notifications a member wants by email, and how soon: defaults, choices, unsubscribing."""

from typing import Any

import sqlalchemy as sa

from portal.accounts.tables import users
from portal.db import Database
from portal.notifications.tables import DELIVERIES, KINDS, email_preferences, email_settings

# Kinds not named here (mentions, answers, moderation, and whatever comes later) are about
# the member personally, so they are emailed at once unless the member says otherwise.
DEFAULT_DELIVERY = {"idea": "daily", "roadmap": "daily", "release": "daily"}
FALLBACK_DELIVERY = "immediately"

KIND_LABELS = {
    "idea": "New ideas on boards you follow",
    "comment": "Comments on ideas you follow",
    "response": "Official responses from maintainers",
    "status": "Status changes of ideas you follow",
    "merge": "Ideas you follow merged into others",
    "roadmap": "The roadmap published",
    "release": "Releases that ship ideas you follow",
    "mention": "Mentions of you",
    "reply": "Replies in discussions you follow",
    "accepted": "Your answers accepted",
}
DELIVERY_LABELS = {"immediately": "Email me at once", "daily": "In a daily digest", "never": "Never email"}


def default_delivery(kind: str) -> str:
    return DEFAULT_DELIVERY.get(kind, FALLBACK_DELIVERY)


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def effective_delivery(kind_column: Any) -> sa.ColumnElement:
    """SQL for how a notification of `kind_column` reaches the member: immediately, daily or never.

    Needs email_preferences and email_settings outer-joined on the member (see `join_preferences`).
    """
    defaults = sa.case(
        *((kind_column == kind, delivery) for kind, delivery in DEFAULT_DELIVERY.items()), else_=FALLBACK_DELIVERY
    )
    return sa.case(
        (email_settings.c.emails_off.is_(True), "never"),
        else_=sa.func.coalesce(email_preferences.c.delivery, defaults),
    )


def join_preferences(source: Any, user_id_column: Any, kind_column: Any) -> Any:
    return source.outerjoin(
        email_preferences,
        sa.and_(email_preferences.c.user_id == user_id_column, email_preferences.c.kind == kind_column),
    ).outerjoin(email_settings, email_settings.c.user_id == user_id_column)


async def get_preferences(db: Database, user_id: int) -> tuple[dict[str, str], bool]:
    """The member's choice for every kind (defaults filled in) and whether all email is off."""
    rows = await db.fetch_all(
        sa.select(email_preferences.c.kind, email_preferences.c.delivery).where(email_preferences.c.user_id == user_id)
    )
    chosen = {row["kind"]: row["delivery"] for row in rows}
    emails_off = await db.fetch_val(sa.select(email_settings.c.emails_off).where(email_settings.c.user_id == user_id))
    return {kind: chosen.get(kind, default_delivery(kind)) for kind in KINDS}, bool(emails_off)


async def save_preferences(db: Database, user_id: int, choices: dict[str, str], *, emails_off: bool) -> None:
    assert all(kind in KINDS and delivery in DELIVERIES for kind, delivery in choices.items())
    async with db.transaction():
        await db.execute(
            email_preferences.delete().where(
                email_preferences.c.user_id == user_id, email_preferences.c.kind.in_(list(choices))
            )
        )
        if choices:
            await db.execute(
                email_preferences.insert().values(
                    [{"user_id": user_id, "kind": kind, "delivery": delivery} for kind, delivery in choices.items()]
                )
            )
        await _set_emails_off(db, user_id, emails_off)


async def unsubscribe(db: Database, user_id: int, kind: str | None) -> None:
    """No more email of `kind` (None: none at all) for the member."""
    async with db.transaction():
        if kind is None:
            await _set_emails_off(db, user_id, True)
            return
        await db.execute(
            db.insert(email_preferences)
            .values(user_id=user_id, kind=kind, delivery="never")
            .on_conflict_do_update(index_elements=["user_id", "kind"], set_={"delivery": "never"})
        )


async def _set_emails_off(db: Database, user_id: int, emails_off: bool) -> None:
    await db.execute(
        db.insert(email_settings)
        .values(user_id=user_id, emails_off=emails_off)
        .on_conflict_do_update(index_elements=["user_id"], set_={"emails_off": emails_off})
    )


async def get_member(db: Database, user_id: int) -> Any | None:
    """The member an unsubscribe link names, if they still exist."""
    return await db.fetch_one(sa.select(users.c.id, users.c.username).where(users.c.id == user_id))
