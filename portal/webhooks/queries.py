"""Webhooks: registering them, emitting events to them, and their delivery log."""

import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from portal.db import Database, utcnow
from portal.errors import NotFound
from portal.jobs.queries import enqueue
from portal.webhooks.tables import EVENTS, webhook_attempts, webhook_deliveries, webhooks

DELIVERY_JOB = "webhook-delivery"
LOG_SIZE = 30


class WebhookNotFound(NotFound):
    message = "There is no such webhook."


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


async def create_webhook(db: Database, *, url: str, description: str, events: list[str], created_by_id: int) -> int:
    return await db.fetch_val(
        webhooks.insert()
        .values(
            url=url,
            description=description,
            events=events,
            secret=new_secret(),
            is_active=True,
            created_by_id=created_by_id,
            created_at=utcnow(),
        )
        .returning(webhooks.c.id)
    )


async def update_webhook(
    db: Database, webhook_id: int, *, url: str, description: str, events: list[str], is_active: bool
) -> None:
    updated = await db.fetch_one(
        webhooks.update()
        .where(webhooks.c.id == webhook_id)
        .values(url=url, description=description, events=events, is_active=is_active)
        .returning(webhooks.c.id)
    )
    if updated is None:
        raise WebhookNotFound(webhook_id)


async def rotate_secret(db: Database, webhook_id: int) -> None:
    updated = await db.fetch_one(
        webhooks.update().where(webhooks.c.id == webhook_id).values(secret=new_secret()).returning(webhooks.c.id)
    )
    if updated is None:
        raise WebhookNotFound(webhook_id)


async def delete_webhook(db: Database, webhook_id: int) -> None:
    """The webhook and its log go; deliveries still queued find nothing and stop."""
    deleted = await db.fetch_one(webhooks.delete().where(webhooks.c.id == webhook_id).returning(webhooks.c.id))
    if deleted is None:
        raise WebhookNotFound(webhook_id)


async def list_webhooks(db: Database) -> list[Any]:
    return await db.fetch_all(sa.select(webhooks).order_by(webhooks.c.id))


async def get_webhook(db: Database, webhook_id: int) -> Any:
    row = await db.fetch_one(sa.select(webhooks).where(webhooks.c.id == webhook_id))
    if row is None:
        raise WebhookNotFound(webhook_id)
    return row


async def emit(db: Database, event: str, build: Callable[[], Awaitable[dict[str, Any]]]) -> int:
    """Queue one delivery of `event` per active webhook that wants it; returns how many.

    Called inside the transaction of the write that makes the event happen, so the deliveries
    exist exactly when the write does. `build` makes the object sent, only if someone wants it.
    """
    assert event in EVENTS, event
    subscribed = [
        row["id"]
        for row in await db.fetch_all(sa.select(webhooks.c.id, webhooks.c.events).where(webhooks.c.is_active))
        if event in (row["events"] or [])
    ]
    if not subscribed:
        return 0
    data = await build()
    event_id, now = str(uuid.uuid4()), utcnow()
    for webhook_id in subscribed:
        await queue_delivery(db, webhook_id=webhook_id, event=event, data=data, event_id=event_id, occurred_at=now)
    return len(subscribed)


async def queue_delivery(
    db: Database,
    *,
    webhook_id: int,
    event: str,
    data: dict[str, Any],
    event_id: str | None = None,
    occurred_at: datetime | None = None,
) -> int:
    async with db.transaction():
        delivery_id = await db.fetch_val(
            webhook_deliveries.insert()
            .values(
                webhook_id=webhook_id,
                event=event,
                event_id=event_id or str(uuid.uuid4()),
                data=data,
                occurred_at=occurred_at or utcnow(),
            )
            .returning(webhook_deliveries.c.id)
        )
        await enqueue(db, DELIVERY_JOB, {"delivery_id": delivery_id})
        return delivery_id


async def ping(db: Database, webhook_id: int) -> int:
    """A test delivery, sent whatever events the webhook chose."""
    webhook = await get_webhook(db, webhook_id)
    data = {"webhook_id": webhook["id"], "message": "A test delivery from Roundtable."}
    return await queue_delivery(db, webhook_id=webhook_id, event="ping", data=data)


async def send_again(db: Database, webhook_id: int, delivery_id: int) -> None:
    """Another attempt at a delivery, with the same event id and body, at once."""
    async with db.transaction():
        found = await db.fetch_one(
            sa.select(webhook_deliveries.c.id).where(
                webhook_deliveries.c.id == delivery_id, webhook_deliveries.c.webhook_id == webhook_id
            )
        )
        if found is None:
            raise WebhookNotFound(delivery_id)
        await enqueue(db, DELIVERY_JOB, {"delivery_id": delivery_id}, unique_key=f"webhook-again:{delivery_id}")


async def delivery_to_send(db: Database, delivery_id: int) -> Any | None:
    """The delivery with its webhook's address and secret, or None when the webhook is gone."""
    return await db.fetch_one(
        sa.select(
            webhook_deliveries,
            webhooks.c.url,
            webhooks.c.secret,
            webhooks.c.is_active,
            sa.select(sa.func.count())
            .where(webhook_attempts.c.delivery_id == webhook_deliveries.c.id)
            .scalar_subquery()
            .label("attempts"),
        )
        .join(webhooks, webhooks.c.id == webhook_deliveries.c.webhook_id)
        .where(webhook_deliveries.c.id == delivery_id)
    )


async def record_attempt(
    db: Database,
    *,
    delivery_id: int,
    attempt: int,
    attempted_at: datetime,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    succeeded: bool,
) -> None:
    async with db.transaction():
        await db.execute(
            webhook_attempts.insert().values(
                delivery_id=delivery_id,
                attempt=attempt,
                attempted_at=attempted_at,
                status_code=status_code,
                error=error[:500] if error else None,
                duration_ms=duration_ms,
            )
        )
        await db.execute(
            webhook_deliveries.update().where(webhook_deliveries.c.id == delivery_id).values(succeeded=succeeded)
        )


async def delivery_log(db: Database, webhook_id: int, *, limit: int = LOG_SIZE) -> list[dict[str, Any]]:
    """The webhook's latest deliveries, newest first, each with its attempts (two queries)."""
    deliveries = await db.fetch_all(
        sa.select(webhook_deliveries)
        .where(webhook_deliveries.c.webhook_id == webhook_id)
        .order_by(webhook_deliveries.c.id.desc())
        .limit(limit)
    )
    if not deliveries:
        return []
    attempts = await db.fetch_all(
        sa.select(webhook_attempts)
        .where(webhook_attempts.c.delivery_id.in_([row["id"] for row in deliveries]))
        .order_by(webhook_attempts.c.id)
    )
    by_delivery: dict[int, list[Any]] = {}
    for attempt in attempts:
        by_delivery.setdefault(attempt["delivery_id"], []).append(attempt)
    return [{"delivery": row, "attempts": by_delivery.get(row["id"], [])} for row in deliveries]
