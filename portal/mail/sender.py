"""Sending the outbox: over SMTP (aiosmtplib) when SMTP_HOST is set, else into the log.

Runs as the `send-emails` job, a batch of outbox ids per job and one SMTP connection per batch.
When the server cannot be reached the whole job is retried with the jobs' backoff; an email the
server refuses for good (5xx) is marked failed at once and the others go on.

An email is sent at most once. Before SMTP sees it, its outbox row goes from "queued" to
"sending" in a transaction of its own (only one sender can do that), and right after the server
accepts it the row is marked "sent", again on its own. A row still "sending" when the job runs
again was cut off between the two (the process died or was stopped, or the connection broke
mid-message): the server may or may not have taken it, and a second copy could reach the member,
so it is marked "unknown" and left for an admin to read in the outbox rather than sent again.
That is at most one email per SMTP connection cut off mid-message.
"""

import asyncio
import email
import email.policy
import logging
from collections.abc import Coroutine
from typing import Any

import aiosmtplib

from portal import secret_links
from portal.db import utcnow
from portal.jobs.runner import JobContext, PermanentFailure
from portal.mail import queries
from portal.settings import Settings

logger = logging.getLogger("roundtable.mail")

MAX_ATTEMPTS = 6  # 1 + retries after 1, 4, 16, 64 and 256 minutes: about five and a half hours
CUT_OFF = (
    "sending was cut off before the SMTP server's answer was recorded: "
    "it may have been delivered, so it is not sent again"
)


def smtp_client(settings: Settings) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username or None,
        password=str(settings.smtp_password) or None,
        use_tls=settings.smtp_tls == "tls",
        start_tls=settings.smtp_tls == "starttls",
        timeout=30,
    )


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def _refused_for_good(error: Exception) -> bool:
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(refusal.code >= 500 for refusal in error.recipients)
    return isinstance(error, aiosmtplib.SMTPResponseException) and error.code >= 500


def _log_email(row: Any) -> None:
    message = email.message_from_string(row["message"], policy=email.policy.default)
    body = message.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    # Its links would let anyone who reads the log choose the member's password, confirm their
    # address or unsubscribe them.
    text = secret_links.mask(text)
    logger.info("email %s to %s (no SMTP_HOST set): %s\n%s", row["id"], row["to_address"], row["subject"], text)


async def _recorded(write: Coroutine[Any, Any, Any]) -> Any:
    """Run a write about an email to its end even if the job is cancelled meanwhile (the server
    stopping, or the lease lost): the record stays true, and a query cut off mid-way would leave
    its pooled connection checked out."""
    return await asyncio.shield(write)


async def send_emails(context: JobContext, payload: dict[str, Any]) -> None:
    db, now = context.db, context.now
    rows = await queries.get_emails_to_send(db, payload["ids"])
    # The job runs in one process at a time (its lease): a row already "sending" was left by an
    # earlier attempt of this job that stopped mid-message.
    cut_off = [row["id"] for row in rows if row["status"] == "sending"]
    if cut_off:
        logger.warning("emails %s were being sent when their sender stopped: marked unknown, not sent again", cut_off)
        await queries.mark_unknown(db, cut_off, error=CUT_OFF)
    rows = [row for row in rows if row["status"] == "queued"]
    if not rows:
        return
    if not context.settings.smtp_host:
        for row in rows:
            _log_email(row)
        await queries.mark_emails(db, [row["id"] for row in rows], status="logged", now=now)
        return

    pending = [row["id"] for row in rows]
    try:
        async with smtp_client(context.settings) as smtp:
            try:
                for row in rows:
                    if not await _recorded(queries.start_sending(db, row["id"], now=utcnow())):
                        pending.remove(row["id"])  # deleted meanwhile (a member who left), or taken by another sender
                        continue
                    # The compat32 parser leaves the stored headers as they are, and is much faster.
                    message = email.message_from_string(row["message"])
                    try:
                        await smtp.send_message(message)
                    except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPResponseException) as error:
                        # The server answered no: it did not take the email, which can be tried again.
                        refused = _refused_for_good(error)
                        await queries.record_failure(
                            db, [row["id"]], error=_describe(error), give_up_after=None if refused else MAX_ATTEMPTS
                        )
                        if refused:
                            pending.remove(row["id"])
                            logger.warning("email %s to %s refused: %s", row["id"], row["to_address"], error)
                        continue
                    except (aiosmtplib.SMTPException, OSError) as error:
                        # No answer (the connection broke, or timed out): it may have been taken.
                        await queries.mark_unknown(db, [row["id"]], error=f"{CUT_OFF} ({_describe(error)})")
                        pending.remove(row["id"])
                        raise
                    await _recorded(queries.mark_sent(db, row["id"], now=now))
                    pending.remove(row["id"])
            except asyncio.CancelledError:
                # Stopped (the server is stopping, or the lease was lost): hang up rather than wait
                # for the server to answer a QUIT.
                smtp.close()
                raise
    except (aiosmtplib.SMTPException, OSError) as error:
        await queries.record_failure(db, pending, error=_describe(error), give_up_after=MAX_ATTEMPTS)
        raise
    if pending and len(await queries.get_queued_emails(db, pending)) > 0:
        # Refused for now (4xx): the job's retry tries these again later.
        raise RuntimeError(f"{len(pending)} emails were deferred by the SMTP server")
    if pending:
        raise PermanentFailure(f"{len(pending)} emails failed after {MAX_ATTEMPTS} attempts")
