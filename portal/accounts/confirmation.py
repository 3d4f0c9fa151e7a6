"""Confirming a member's email address: a signed link, emailed at sign-up and on request.

The link names the member and the address it was sent to, so it confirms nothing once the
address has changed; it lasts CONFIRM_MAX_AGE. Following it shows a button: the POST
confirms (a mail scanner that fetches links confirms nothing).
"""

from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from portal.accounts.tables import users
from portal.db import Database
from portal.mail.message import compose, recipient
from portal.mail.queries import queue_emails
from portal.settings import Settings

CONFIRM_MAX_AGE = timedelta(days=7)
# A member may ask for the link again after this long (each asking sends an email).
RESEND_AFTER = timedelta(minutes=10)


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(settings.secret_key), salt="roundtable.confirm-email")


def confirmation_url(settings: Settings, user_id: int, email: str) -> str:
    return f"{settings.public_url}/confirm-email/{_serializer(settings).dumps([user_id, email])}"


def read_confirmation_token(settings: Settings, token: str) -> tuple[int, str] | None:
    """(member id, address), or None for a link that is not ours or has expired."""
    try:
        value = _serializer(settings).loads(token, max_age=CONFIRM_MAX_AGE.total_seconds())
    except (BadSignature, ValueError, UnicodeError):
        return None
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int) and isinstance(value[1], str)):
        return None
    return value[0], value[1]


def may_resend(member: Any, now: datetime) -> bool:
    sent = member["email_confirmation_sent_at"]
    return member["email_verified_at"] is None and (sent is None or now - sent >= RESEND_AFTER)


async def send_confirmation(db: Database, settings: Settings, member: Any, *, now: datetime) -> None:
    """Queue the confirmation email (sent by the jobs, like every email) and note when."""
    message = compose(
        settings,
        to=recipient(member["display_name"], member["email"]),
        subject=f"Confirm your email address for {settings.site_name}",
        template="confirm_email",
        context={
            "url": confirmation_url(settings, member["id"], member["email"]),
            "days": CONFIRM_MAX_AGE.days,
            "to_name": member["display_name"],
        },
        unsubscribe_url=None,
        now=now,
    )
    async with db.transaction():
        await db.execute(users.update().where(users.c.id == member["id"]).values(email_confirmation_sent_at=now))
        await queue_emails(
            db,
            [
                {
                    "user_id": member["id"],
                    "to_address": member["email"],
                    "subject": str(message["Subject"])[:300],
                    "kind": "confirm-email",
                    "message": message.as_string(),
                }
            ],
            now=now,
        )
