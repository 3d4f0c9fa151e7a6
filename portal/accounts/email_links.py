"""Links emailed to a member: one that confirms their address, one that sets a new password
(and the notice to an old address that the address changed).

Both are signed with SECRET_KEY and expire. A confirmation link names the member and the
address it was sent to, so it confirms nothing once the address has changed; a password link
names a fingerprint of the member's password hash and address, so it works once: setting the
password (or any other change of either) voids it. Following a link shows a form; only its
POST changes anything (a mail scanner that fetches links changes nothing).
"""

import hashlib
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeTimedSerializer

from portal.accounts.tables import users
from portal.db import Database
from portal.mail.message import compose, recipient
from portal.mail.queries import queue_emails
from portal.settings import Settings

CONFIRM_MAX_AGE = timedelta(days=7)
RESET_MAX_AGE = timedelta(hours=1)
# A member may be sent another link of the same kind after this long (each sends an email).
RESEND_AFTER = timedelta(minutes=10)


def _serializer(settings: Settings, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(settings.secret_key), salt=f"roundtable.{purpose}")


def _read(settings: Settings, purpose: str, token: str, max_age: timedelta) -> tuple[int, str] | None:
    try:
        value = _serializer(settings, purpose).loads(token, max_age=max_age.total_seconds())
    except (BadSignature, ValueError, UnicodeError):
        return None
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int) and isinstance(value[1], str)):
        return None
    return value[0], value[1]


def confirmation_url(settings: Settings, user_id: int, email: str) -> str:
    return f"{settings.public_url}/confirm-email/{_serializer(settings, 'confirm-email').dumps([user_id, email])}"


def read_confirmation_token(settings: Settings, token: str) -> tuple[int, str] | None:
    """(member id, address), or None for a link that is not ours or has expired."""
    return _read(settings, "confirm-email", token, CONFIRM_MAX_AGE)


def fingerprint(member: Any) -> str:
    """Changes whenever the member's password or address does."""
    return hashlib.sha256(f"{member['password_hash'] or ''}\x00{member['email']}".encode()).hexdigest()[:32]


def reset_url(settings: Settings, member: Any) -> str:
    token = _serializer(settings, "reset-password").dumps([member["id"], fingerprint(member)])
    return f"{settings.public_url}/password/reset/{token}"


def read_reset_token(settings: Settings, token: str) -> tuple[int, str] | None:
    """(member id, fingerprint), or None for a link that is not ours or has expired."""
    return _read(settings, "reset-password", token, RESET_MAX_AGE)


def may_resend(member: Any, now: datetime) -> bool:
    sent = member["email_confirmation_sent_at"]
    return member["email_verified_at"] is None and (sent is None or now - sent >= RESEND_AFTER)


async def send_confirmation(db: Database, settings: Settings, member: Any, *, now: datetime) -> None:
    """Queue the confirmation email (sent by the jobs, like every email) and note when."""
    await _send(
        db,
        settings,
        member,
        now=now,
        template="confirm_email",
        subject=f"Confirm your email address for {settings.site_name}",
        context={"url": confirmation_url(settings, member["id"], member["email"]), "days": CONFIRM_MAX_AGE.days},
        sent_column=users.c.email_confirmation_sent_at,
    )


async def send_reset(db: Database, settings: Settings, member: Any, *, now: datetime) -> bool:
    """Queue a password link, unless one went out less than RESEND_AFTER ago; True if queued."""
    sent = member["password_reset_sent_at"]
    if sent is not None and now - sent < RESEND_AFTER:
        return False
    await _send(
        db,
        settings,
        member,
        now=now,
        template="reset_password",
        subject=f"Choose a new password for {settings.site_name}",
        context={"url": reset_url(settings, member), "minutes": int(RESET_MAX_AGE.total_seconds() // 60)},
        sent_column=users.c.password_reset_sent_at,
    )
    return True


async def send_change_notice(db: Database, settings: Settings, member: Any, *, new_email: str, now: datetime) -> None:
    """Tell the old address that the account's address changed (`member` as it was before)."""
    await _send(
        db,
        settings,
        member,
        now=now,
        template="email_changed",
        subject=f"Your email address on {settings.site_name} was changed",
        context={"new_email": new_email, "forgot_url": f"{settings.public_url}/password/forgot"},
        sent_column=None,
    )


async def send_password_reset_notice(
    db: Database, settings: Settings, member: Any, *, signed_out: int, tokens_ended: int, now: datetime
) -> None:
    """Tell a member their password was set through an emailed link, and what that ended."""
    await _send(
        db,
        settings,
        member,
        now=now,
        template="password_reset_done",
        subject=f"Your password on {settings.site_name} was changed",
        context={
            "when": now.strftime("%Y-%m-%d at %H:%M UTC"),
            "signed_out": signed_out,
            "tokens_ended": tokens_ended,
            "tokens_url": f"{settings.public_url}/settings/tokens",
            "forgot_url": f"{settings.public_url}/password/forgot",
        },
        sent_column=None,
    )


async def send_signin_paused_notice(
    db: Database, settings: Settings, member: Any, *, until: datetime, now: datetime
) -> None:
    """Tell a member that wrong passwords paused signing in to their account, and that a password
    link still works. Only to a confirmed address: an unconfirmed one may be someone else's."""
    if member["email_verified_at"] is None:
        return
    await _send(
        db,
        settings,
        member,
        now=now,
        template="signin_paused",
        subject=f"Too many wrong passwords for your account on {settings.site_name}",
        context={
            "until": until.strftime("%Y-%m-%d at %H:%M UTC"),
            "forgot_url": f"{settings.public_url}/password/forgot",
        },
        sent_column=None,
    )


async def send_new_way_in_notice(db: Database, settings: Settings, member: Any, *, what: str, now: datetime) -> None:
    """Tell a member that a way to use their account was added (`what`: "Example ID was linked to
    sign in", "an API token ... was made"), in case it was not them. Only to a confirmed address:
    an unconfirmed one may be someone else's."""
    if member["email_verified_at"] is None:
        return
    await _send(
        db,
        settings,
        member,
        now=now,
        template="new_way_in",
        subject=f"A new way into your account on {settings.site_name}",
        context={
            "what": what,
            "settings_url": f"{settings.public_url}/settings/accounts",
            "forgot_url": f"{settings.public_url}/password/forgot",
        },
        sent_column=None,
    )


async def _send(
    db: Database,
    settings: Settings,
    member: Any,
    *,
    now: datetime,
    template: str,
    subject: str,
    context: dict[str, Any],
    sent_column: sa.Column | None,
) -> None:
    message = compose(
        settings,
        to=recipient(member["display_name"], member["email"]),
        subject=subject,
        template=template,
        context={**context, "to_name": member["display_name"]},
        unsubscribe_url=None,
        now=now,
    )
    async with db.transaction():
        if sent_column is not None:
            await db.execute(users.update().where(users.c.id == member["id"]).values({sent_column.name: now}))
        await queue_emails(
            db,
            [
                {
                    "user_id": member["id"],
                    "to_address": member["email"],
                    "subject": str(message["Subject"])[:300],
                    "kind": template.replace("_", "-"),
                    "message": message.as_string(),
                }
            ],
            now=now,
        )
