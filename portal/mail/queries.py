"""The outbox: emails composed, queued for sending, and what became of them."""

import email
import email.policy
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from portal.accounts.tables import users
from portal.db import Database
from portal.jobs.queries import enqueue
from portal.mail.tables import outbox
from portal.notifications.tables import notifications
from portal.paging import Page, by_id, fetch_page

SEND_BATCH = 50  # emails sent over one SMTP connection by one job
PAGE_SIZE = 50


async def queue_emails(db: Database, emails: list[dict[str, Any]], *, now: datetime) -> list[int]:
    """Store emails in the outbox and enqueue their sending; returns the new outbox ids.

    Each email is a dict with user_id, to_address, subject, kind, message and optionally
    notification_id; an email for a notification that already has one is skipped.
    """
    ids: list[int] = []
    async with db.transaction():
        for start in range(0, len(emails), 500):
            rows = [{"notification_id": None, **email, "created_at": now} for email in emails[start : start + 500]]
            inserted = await db.fetch_all(
                db.insert(outbox)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["notification_id"])
                .returning(outbox.c.id)
            )
            ids.extend(row["id"] for row in inserted)
        for start in range(0, len(ids), SEND_BATCH):
            await enqueue(db, "send-emails", {"ids": ids[start : start + SEND_BATCH]}, run_at=now)
    return ids


async def get_emails_to_send(db: Database, ids: list[int]) -> list[Any]:
    """Those of `ids` still queued, and those an earlier attempt left sending."""
    return await db.fetch_all(
        sa.select(outbox).where(outbox.c.id.in_(ids), outbox.c.status.in_(("queued", "sending"))).order_by(outbox.c.id)
    )


async def get_queued_emails(db: Database, ids: list[int]) -> list[Any]:
    return await db.fetch_all(
        sa.select(outbox).where(outbox.c.id.in_(ids), outbox.c.status == "queued").order_by(outbox.c.id)
    )


async def start_sending(db: Database, outbox_id: int, *, now: datetime) -> bool:
    """Claim a queued email for sending, in a transaction of its own; False if it is not queued any more."""
    claimed = await db.fetch_one(
        outbox.update()
        .where(outbox.c.id == outbox_id, outbox.c.status == "queued")
        .values(status="sending", sending_since=now)
        .returning(outbox.c.id)
    )
    return claimed is not None


async def mark_sent(db: Database, outbox_id: int, *, now: datetime) -> None:
    """The SMTP server accepted it (also when it had been given up as unknown meanwhile)."""
    await db.execute(
        outbox.update()
        .where(outbox.c.id == outbox_id, outbox.c.status.in_(("sending", "unknown")))
        .values(status="sent", sent_at=now, attempts=outbox.c.attempts + 1, last_error=None)
    )


async def mark_unknown(db: Database, ids: list[int], *, error: str) -> None:
    """Sending began and nobody knows whether the server took the email: it is not sent again."""
    await db.execute(
        outbox.update()
        .where(outbox.c.id.in_(ids), outbox.c.status == "sending")
        .values(status="unknown", attempts=outbox.c.attempts + 1, last_error=error[:2000])
    )


async def mark_emails(db: Database, ids: list[int], *, status: str, now: datetime) -> None:
    """Logged (no SMTP server): done with these."""
    await db.execute(
        outbox.update()
        .where(outbox.c.id.in_(ids))
        .values(status=status, sent_at=now, attempts=outbox.c.attempts + 1, last_error=None)
    )


async def record_failure(db: Database, ids: list[int], *, error: str, give_up_after: int | None) -> None:
    """One more failed try, known not to have been taken by the server: queued again, or failed when
    tried `give_up_after` times (None: at once)."""
    attempts = outbox.c.attempts + 1
    give_up = sa.true() if give_up_after is None else attempts >= give_up_after
    await db.execute(
        outbox.update()
        .where(outbox.c.id.in_(ids), outbox.c.status.in_(("queued", "sending")))
        .values(
            attempts=attempts,
            last_error=error[:2000],
            status=sa.case((give_up, "failed"), else_="queued"),
            sending_since=None,
        )
    )


async def list_outbox(db: Database, *, before: int | None = None) -> Page:
    """The newest emails first, one page at a time (keyset on the id)."""
    query = sa.select(outbox).order_by(outbox.c.id.desc())
    if before is not None:
        query = query.where(outbox.c.id < before)
    return await fetch_page(db, query, PAGE_SIZE, by_id)


async def forget_author_of_emails(db: Database, user_id: int) -> None:
    """Emails sent to others about what a deleted member did name them: the outbox drops them.

    Those composed from the member's own notifications as actor, and digests that name them.
    """
    member = await db.fetch_one(
        sa.select(users.c.username, users.c.display_name, users.c.created_at).where(users.c.id == user_id)
    )
    if member is None:
        return
    by_them = sa.select(notifications.c.id).where(notifications.c.actor_id == user_id)
    await db.execute(outbox.delete().where(outbox.c.notification_id.in_(by_them)))
    names = [name for name in {member["display_name"], member["username"]} if len(name) >= 3]
    for name in names:  # a two-letter name would match too many unrelated emails
        await db.execute(outbox.delete().where(outbox.c.message.contains(name, autoescape=True)))
    # A digest lists what she did by her name, and its text part is base64 or quoted-printable
    # whenever it is mostly outside ASCII or has long lines (a title in Greek): the stored text
    # does not hold the name as typed. The digests composed since she joined are read decoded.
    digests = await db.fetch_all(
        sa.select(outbox.c.id, outbox.c.message).where(
            outbox.c.kind == "digest", outbox.c.created_at >= member["created_at"]
        )
    )
    naming = [row["id"] for row in digests if _names_any(row["message"], names)]
    if naming:
        await db.execute(outbox.delete().where(outbox.c.id.in_(naming)))


def _names_any(raw: str, names: list[str]) -> bool:
    """Whether a stored email's subject or any decoded text part holds one of `names` (any case)."""
    message = email.message_from_string(raw, policy=email.policy.default)
    texts = [str(message.get("Subject", ""))]
    texts += [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
    wanted = [name.lower() for name in names]
    return any(name in text.lower() for text in texts for name in wanted)
