"""Storing, listing and reading notifications; the unread count on users moves with them."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa

from portal.accounts.tables import users
from portal.db import Database, UTCDateTime, utcnow
from portal.domains import in_use
from portal.mail.tables import outbox
from portal.notifications.delivery import enqueue_notification_emails
from portal.notifications.tables import notifications
from portal.paging import Page, by_id, fetch_page

PAGE_SIZE = 30
_INSERTED = [
    "user_id",
    "kind",
    "actor_id",
    "subject",
    "path",
    "about_kind",
    "about_id",
    "post_kind",
    "post_id",
    "hidden",
    "created_at",
]


class About(NamedTuple):
    """What a notification is about, as the domain that makes it says: the idea ("idea", 12) or
    discussion ("thread", 7) whose title its subject quotes, and the post in it that an email
    quotes, if any ("comment", 3; "reply", 9)."""

    kind: str
    id: int
    post_kind: str | None = None
    post_id: int | None = None


@dataclass(frozen=True)
class Audience:
    """The members who hear of an event for one reason: `recipients` selects their user ids."""

    recipients: sa.Select
    kind: str
    subject: str


async def notify(
    db: Database,
    recipients: sa.Select,
    *,
    kind: str,
    actor_id: int | None,
    subject: str,
    path: str,
    about: About | None,
) -> int:
    """Give each member `recipients` selects (one user id column) a notification; returns how many.

    Runs inside the caller's transaction, so the event, its notifications and the job that emails
    them land together.
    """
    return await notify_once(db, [Audience(recipients, kind, subject)], actor_id=actor_id, path=path, about=about)


async def notify_once(
    db: Database, audiences: Sequence[Audience | None], *, actor_id: int | None, path: str, about: About | None
) -> int:
    """Tell everyone one event concerns, once each: a member several audiences name (mentioned in
    a comment on an idea they follow) gets one notification, for the first of those audiences, so
    list the most specific reason (a mention) first; None stands for a reason that concerns
    nobody this time. Returns how many were told. `path` is where the notification links;
    `about`, what it is about (None: nothing a moderator can hide, a roadmap publication say).

    One statement picks each member's reason and inserts, inside the caller's transaction.
    """
    audiences = [audience for audience in audiences if audience is not None]
    if not audiences:
        return 0
    reasons = sa.union_all(
        *(
            sa.select(
                audience.recipients.subquery().c[0].label("user_id"),
                # Cast: PostgreSQL types a bare parameter in a subquery's columns as text.
                sa.cast(sa.literal(rank, sa.Integer), sa.Integer).label("rank"),
                sa.literal(audience.kind, sa.String).label("kind"),
                sa.literal(audience.subject[:300], sa.String).label("subject"),
            )
            for rank, audience in enumerate(audiences)
        )
    ).subquery()
    ranked = sa.select(
        reasons.c.user_id,
        reasons.c.kind,
        reasons.c.subject,
        sa.func.row_number().over(partition_by=reasons.c.user_id, order_by=reasons.c.rank).label("choice"),
    ).subquery()
    about_kind, about_id, post_kind, post_id = about or (None, None, None, None)
    rows = sa.select(
        ranked.c.user_id,
        ranked.c.kind,
        sa.literal(actor_id, sa.BigInteger),
        ranked.c.subject,
        sa.literal(path[:300], sa.String),
        sa.literal(about_kind, sa.String),
        sa.literal(about_id, sa.BigInteger),
        sa.literal(post_kind, sa.String),
        sa.literal(post_id, sa.BigInteger),
        sa.literal(await _is_hidden(db, about), sa.Boolean),
        sa.literal(utcnow(), UTCDateTime()),
    ).where(ranked.c.choice == 1)
    async with db.transaction():
        inserted = await db.fetch_all(
            notifications.insert().from_select(_INSERTED, rows).returning(notifications.c.id, notifications.c.user_id)
        )
        user_ids = [row["user_id"] for row in inserted]
        await enqueue_notification_emails(db, [row["id"] for row in inserted])
        for start in range(0, len(user_ids), 1000):
            chunk = user_ids[start : start + 1000]
            await db.execute(
                users.update()
                .where(users.c.id.in_(chunk))
                .values(unread_notifications=users.c.unread_notifications + 1)
            )
    return len(user_ids)


async def _is_hidden(db: Database, about: About | None) -> bool:
    """Whether what a notification is about is hidden now, asked of the domain of its kind
    ("idea", "thread": the domains' `hidden_checks`), so that a notification made about something
    hidden (a status change of a hidden idea, say) is hidden from the start."""
    assembly = in_use()
    if about is None or assembly is None:
        return False
    check = assembly.hidden_checks.get(about.kind)
    return check is not None and await check(db, about.id)


async def set_hidden(db: Database, kind: str, target_id: int, *, hidden: bool) -> None:
    """Hide (or show again) the subject of every notification about an idea or thread a moderator
    hides (or restores): the subject quotes its title. Emails about them still waiting in the
    outbox (queued, or failing and retried) are not sent."""
    about = sa.and_(notifications.c.about_kind == kind, notifications.c.about_id == target_id)
    await db.execute(notifications.update().where(about).values(hidden=hidden))
    if hidden:
        waiting = sa.select(notifications.c.id).where(about)
        await db.execute(outbox.delete().where(outbox.c.notification_id.in_(waiting), outbox.c.status == "queued"))


async def list_notifications(db: Database, user_id: int, *, before: int | None = None) -> Page:
    """The member's notifications, newest first, one page at a time."""
    actor = users.alias("actor")
    query = (
        sa.select(notifications, actor.c.display_name.label("actor_display_name"))
        .select_from(notifications.outerjoin(actor, actor.c.id == notifications.c.actor_id))
        .where(notifications.c.user_id == user_id)
        .order_by(notifications.c.id.desc())
    )
    if before is not None:
        query = query.where(notifications.c.id < before)
    return await fetch_page(db, query, PAGE_SIZE, by_id)


async def mark_read(db: Database, user_id: int, *, notification_id: int | None = None) -> int:
    """Mark one notification (or all of them) read; returns how many were unread."""
    async with db.transaction():
        condition = sa.and_(notifications.c.user_id == user_id, notifications.c.read_at.is_(None))
        if notification_id is not None:
            condition = sa.and_(condition, notifications.c.id == notification_id)
        marked = await db.fetch_all(
            notifications.update().where(condition).values(read_at=utcnow()).returning(notifications.c.id)
        )
        if marked:
            await db.execute(
                users.update()
                .where(users.c.id == user_id)
                .values(unread_notifications=users.c.unread_notifications - len(marked))
            )
        return len(marked)
