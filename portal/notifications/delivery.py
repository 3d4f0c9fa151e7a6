"""Notifications by email: at once, in a daily digest, or never, as each member chose per kind.

notify() adds one `notification-emails` job per thousand notifications in the transaction that
creates them; that job, after the response, composes an email for each member who wants this
kind at once and schedules a digest (one job per member and day) for those who want it daily.
"""

import asyncio
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from portal.accounts.tables import users
from portal.db import Database
from portal.jobs.queries import enqueue
from portal.jobs.runner import JobContext
from portal.mail.message import compose, recipient
from portal.mail.queries import queue_emails
from portal.notifications.excerpts import excerpt, sources_of
from portal.notifications.preferences import effective_delivery, join_preferences, kind_label
from portal.notifications.tables import email_settings, notifications
from portal.notifications.tokens import unsubscribe_url
from portal.settings import Settings

FAN_OUT_BATCH = 1000
DIGEST_LIMIT = 100  # items listed in one digest; the rest are a link away
FIRST_DIGEST_LOOKBACK = timedelta(days=2)


async def enqueue_notification_emails(db: Database, notification_ids: list[int]) -> None:
    """Called by notify() in its transaction: the email work, a few job rows however many recipients."""
    for start in range(0, len(notification_ids), FAN_OUT_BATCH):
        await enqueue(db, "notification-emails", {"ids": notification_ids[start : start + FAN_OUT_BATCH]})


def next_digest_at(now: datetime, hour: int) -> datetime:
    """The next time it is `hour`:00 UTC, strictly after `now`."""
    today = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return today if today > now else today + timedelta(days=1)


def _notification_rows(condition: Any) -> sa.Select:
    actor = users.alias("actor")
    recipient_user = users.alias("recipient")
    source = join_preferences(
        notifications.join(recipient_user, recipient_user.c.id == notifications.c.user_id).outerjoin(
            actor, actor.c.id == notifications.c.actor_id
        ),
        notifications.c.user_id,
        notifications.c.kind,
    )
    return (
        sa.select(
            notifications,
            recipient_user.c.email,
            recipient_user.c.display_name,
            actor.c.display_name.label("actor_name"),
            effective_delivery(notifications.c.kind).label("delivery"),
        )
        .select_from(source)
        # What a moderator has hid since is not sent: its subject quotes the hidden title.
        # Nor to an address its member has not confirmed: whoever signed up may not own it.
        .where(condition, notifications.c.hidden == sa.false(), recipient_user.c.email_verified_at.is_not(None))
        .order_by(notifications.c.id)
    )


# What the pages call a member who deleted their account (portal/fragments.py), at the start
# of a sentence: their notifications keep their place, with no actor (ON DELETE SET NULL).
DELETED_ACTOR = "A deleted member"


def _item(settings: Settings, row: Any) -> dict[str, Any]:
    return {
        "summary": f"{row['actor_name'] or DELETED_ACTOR} {row['subject']}",
        "url": settings.public_url + row["path"],
        "kind": row["kind"],
        "kind_label": kind_label(row["kind"]),
        "created_at": row["created_at"],
    }


def _with_words(settings: Settings, item: dict[str, Any], row: Any, quoted: tuple[str, bool] | None) -> dict[str, Any]:
    """An email about a comment or reply quotes it (as text, shortened past a limit) and links to
    the form that answers it: the textarea named "body" on the page (templates/_macros.html)."""
    if quoted is None:
        return {**item, "words": None}
    words, shortened = quoted
    return {
        **item,
        "words": words,
        "paragraphs": words.split("\n\n"),
        "shortened": shortened,
        "reply_url": settings.public_url + row["path"].partition("#")[0] + "#body",
    }


def _compose_notification_emails(
    settings: Settings, rows: list[Any], sources: dict[tuple[str, int], str], now: datetime
) -> list[dict[str, Any]]:
    excerpts = {post: excerpt(source) for post, source in sources.items()}  # once per post, not per member
    emails = []
    for row in rows:
        if row["delivery"] != "immediately":
            continue
        item = _with_words(settings, _item(settings, row), row, excerpts.get((row["post_kind"], row["post_id"])))
        message = compose(
            settings,
            to=recipient(row["display_name"], row["email"]),
            subject=item["summary"],
            template="notification",
            context={"item": item, "all_url": unsubscribe_url(settings, row["user_id"], None)},
            unsubscribe_url=unsubscribe_url(settings, row["user_id"], row["kind"]),
            now=now,
        )
        emails.append(
            {
                "user_id": row["user_id"],
                "to_address": row["email"],
                "subject": str(message["Subject"])[:300],
                "kind": row["kind"],
                "notification_id": row["id"],
                "message": message.as_string(),
            }
        )
    return emails


async def send_notification_emails(context: JobContext, payload: dict[str, Any]) -> None:
    db, settings, now = context.db, context.settings, context.now
    # One email per notification: a digest may have listed it already (switched to "at once" meanwhile).
    rows = await db.fetch_all(
        _notification_rows(sa.and_(notifications.c.id.in_(payload["ids"]), notifications.c.emailed_at.is_(None)))
    )
    posts = [(row["post_kind"], row["post_id"]) for row in rows if row["delivery"] == "immediately"]
    sources = await sources_of(db, posts, context.assembly.post_sources)
    # The email package takes milliseconds per message: compose off the event loop, which serves requests.
    emails = await asyncio.to_thread(_compose_notification_emails, settings, rows, sources, now)
    async with db.transaction():
        await queue_emails(db, emails, now=now)
        emailed = [email["notification_id"] for email in emails]
        for start in range(0, len(emailed), FAN_OUT_BATCH):
            await db.execute(
                notifications.update()
                .where(notifications.c.id.in_(emailed[start : start + FAN_OUT_BATCH]))
                .values(emailed_at=now)
            )
        run_at = next_digest_at(now, settings.digest_hour)
        for user_id in sorted({row["user_id"] for row in rows if row["delivery"] == "daily"}):
            unique_key = f"digest:{user_id}:{run_at:%Y-%m-%d}"
            await enqueue(db, "email-digest", {"user_id": user_id}, run_at=run_at, unique_key=unique_key)


async def send_digest(context: JobContext, payload: dict[str, Any]) -> None:
    """Everything the member wants by email that arrived since the last digest and was not
    emailed yet, in one email: what they want daily, and what waited for this digest while they
    did (a kind switched to "at once" since is not lost)."""
    db, settings, now = context.db, context.settings, context.now
    user_id = payload["user_id"]
    async with db.transaction():
        through = await db.fetch_val(
            sa.select(email_settings.c.digested_through_id).where(email_settings.c.user_id == user_id)
        )
        condition = sa.and_(notifications.c.user_id == user_id, notifications.c.created_at <= now)
        if through is None:
            condition = sa.and_(condition, notifications.c.created_at > now - FIRST_DIGEST_LOOKBACK)
        else:
            condition = sa.and_(condition, notifications.c.id > through)
        newest = await db.fetch_val(sa.select(sa.func.max(notifications.c.id)).where(condition))
        if newest is None:
            return
        rows = await db.fetch_all(
            _notification_rows(
                sa.and_(
                    condition,
                    effective_delivery(notifications.c.kind).in_(["daily", "immediately"]),
                    # Emailed at once when the member still wanted this kind so: not again.
                    notifications.c.emailed_at.is_(None),
                )
            ).limit(DIGEST_LIMIT + 1)
        )
        await db.execute(
            db.insert(email_settings)
            .values(user_id=user_id, digested_through_id=newest)
            .on_conflict_do_update(index_elements=["user_id"], set_={"digested_through_id": newest})
        )
        if not rows:
            return
        listed = rows[:DIGEST_LIMIT]
        await db.execute(
            notifications.update().where(notifications.c.id.in_([row["id"] for row in listed])).values(emailed_at=now)
        )
        items = [_item(settings, row) for row in listed]
        kinds = sorted({item["kind"] for item in items})
        count = len(rows) if len(rows) <= DIGEST_LIMIT else f"{DIGEST_LIMIT}+"
        message = compose(
            settings,
            to=recipient(rows[0]["display_name"], rows[0]["email"]),
            subject=f"{settings.site_name}: your daily digest ({count} new)",
            template="digest",
            context={
                "items": items,
                "more": len(rows) > DIGEST_LIMIT,
                "notifications_url": f"{settings.public_url}/notifications",
                "kind_links": [(kind_label(kind), unsubscribe_url(settings, user_id, kind)) for kind in kinds],
            },
            unsubscribe_url=unsubscribe_url(settings, user_id, None),
            now=now,
        )
        await queue_emails(
            db,
            [
                {
                    "user_id": user_id,
                    "to_address": rows[0]["email"],
                    "subject": str(message["Subject"])[:300],
                    "kind": "digest",
                    "message": message.as_string(),
                }
            ],
            now=now,
        )
