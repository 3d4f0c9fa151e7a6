"""Sending the outbox: over SMTP (aiosmtplib) when SMTP_HOST is set, else into the log.

Runs as the `send-emails` job, a batch of outbox ids per job and one SMTP connection per batch.
When the server cannot be reached the whole job is retried with the jobs' backoff; an email the
server refuses for good (5xx) is marked failed at once and the others go on.
"""

import email
import email.policy
import logging
from datetime import timedelta
from typing import Any

import aiosmtplib

from portal import secret_links
from portal.jobs.runner import JobContext, PermanentFailure, job
from portal.mail import queries
from portal.settings import Settings

logger = logging.getLogger("roundtable.mail")

MAX_ATTEMPTS = 6  # 1 + retries after 1, 4, 16, 64 and 256 minutes: about five and a half hours


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


@job("send-emails", max_attempts=MAX_ATTEMPTS, first_retry=timedelta(minutes=1))
async def send_emails(context: JobContext, payload: dict[str, Any]) -> None:
    db, now = context.db, context.now
    rows = await queries.get_queued_emails(db, payload["ids"])
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
            for row in rows:
                # The compat32 parser leaves the stored headers as they are, and is much faster.
                message = email.message_from_string(row["message"])
                try:
                    await smtp.send_message(message)
                except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPResponseException) as error:
                    refused = _refused_for_good(error)
                    await queries.record_failure(
                        db, [row["id"]], error=_describe(error), give_up_after=None if refused else MAX_ATTEMPTS
                    )
                    if refused:
                        pending.remove(row["id"])
                        logger.warning("email %s to %s refused: %s", row["id"], row["to_address"], error)
                    continue
                await queries.mark_emails(db, [row["id"]], status="sent", now=now)
                pending.remove(row["id"])
    except (aiosmtplib.SMTPException, OSError) as error:
        await queries.record_failure(db, pending, error=_describe(error), give_up_after=MAX_ATTEMPTS)
        raise
    if pending and len(await queries.get_queued_emails(db, pending)) > 0:
        # Refused for now (4xx): the job's retry tries these again later.
        raise RuntimeError(f"{len(pending)} emails were deferred by the SMTP server")
    if pending:
        raise PermanentFailure(f"{len(pending)} emails failed after {MAX_ATTEMPTS} attempts")
