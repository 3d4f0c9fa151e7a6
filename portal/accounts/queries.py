"""Reads and writes of members and their sign-in sessions."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from portal.accounts.tables import PASSWORD_RESET, api_tokens, oauth_accounts, sessions, users
from portal.db import Database, utcnow
from portal.people.tables import profiles
from portal.statements import kept

PUBLIC_USER_COLUMNS = (
    users.c.id,
    users.c.username,
    users.c.display_name,
    users.c.role,
    users.c.is_founder,
    users.c.unread_notifications,
    users.c.suspended_until,
    users.c.suspension_reason,
)


class UsernameTaken(Exception):
    pass


class EmailTaken(Exception):
    pass


async def create_user(
    db: Database,
    *,
    username: str,
    email: str,
    display_name: str,
    password_hash: str | None,
    email_verified: bool,
    role: str = "member",
    is_founder: bool = False,
) -> int:
    """Create a member; raises UsernameTaken or EmailTaken, leaving nothing written.

    `email_verified`: whoever creates the member vouches for the address (an admin, a provider);
    a sign-up with a password does not, until its confirmation link is followed.
    """
    now = utcnow()
    async with db.transaction():
        if await get_user_by_username(db, username) is not None:
            raise UsernameTaken(username)
        if await db.fetch_one(sa.select(users.c.id).where(users.c.email == email)) is not None:
            raise EmailTaken(email)
        try:
            user_id = await db.fetch_val(
                users.insert()
                .values(
                    username=username,
                    email=email,
                    display_name=display_name,
                    password_hash=password_hash,
                    role=role,
                    is_founder=is_founder,
                    created_at=now,
                    email_verified_at=now if email_verified else None,
                )
                .returning(users.c.id)
            )
        except Exception as error:
            # Two sign-ups raced past the checks above; the unique keys decided.
            if db.is_unique_violation(error):
                raise UsernameTaken(username) from None
            raise
        # Every member has a profile row, so that the directory ranks everyone from one index.
        await db.execute(profiles.insert().values(user_id=user_id))
        return user_id


async def get_user_by_id(db: Database, user_id: int) -> Any | None:
    return await db.fetch_one(sa.select(users).where(users.c.id == user_id))


async def get_user_by_username(db: Database, username: str) -> Any | None:
    return await db.fetch_one(sa.select(users).where(users.c.username == username))


async def get_user_by_login(db: Database, login: str) -> Any | None:
    """The member whose username or email is `login` (both are stored lower-case)."""
    login = login.strip().lower()
    column = users.c.email if "@" in login else users.c.username
    return await db.fetch_one(sa.select(users).where(column == login))


async def update_password_hash(db: Database, user_id: int, password_hash: str) -> None:
    await db.execute(users.update().where(users.c.id == user_id).values(password_hash=password_hash))


async def set_role(db: Database, user_id: int, *, role: str | None = None, is_founder: bool | None = None) -> None:
    values: dict[str, Any] = {}
    if role is not None:
        values["role"] = role
    if is_founder is not None:
        values["is_founder"] = is_founder
    if values:
        await db.execute(users.update().where(users.c.id == user_id).values(**values))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_session(db: Database, user_id: int, max_age: int) -> str:
    """Start a sign-in and forget the member's expired ones; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    async with db.transaction():
        await db.execute(sessions.delete().where(sessions.c.user_id == user_id, sessions.c.expires_at <= now))
        await db.execute(
            sessions.insert().values(
                token_hash=_token_hash(token),
                user_id=user_id,
                created_at=now,
                expires_at=now + timedelta(seconds=max_age),
            )
        )
    return token


# Every signed-in request runs it.
@kept
def _session_user(token_hash: str, now: datetime) -> sa.Select:
    return (
        sa.select(*PUBLIC_USER_COLUMNS)
        .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
        .where(sessions.c.token_hash == token_hash, sessions.c.expires_at > now)
    )


async def get_session_user(db: Database, token: str) -> Any | None:
    """The member signed in with `token`, if that session is neither revoked nor expired."""
    return await db.fetch_one(*_session_user(_token_hash(token), utcnow()))


async def session_started_at(db: Database, token: str | None) -> datetime | None:
    """When the sign-in behind `token` happened (None for no such session)."""
    if not token:
        return None
    return await db.fetch_val(sa.select(sessions.c.created_at).where(sessions.c.token_hash == _token_hash(token)))


async def delete_session(db: Database, token: str) -> None:
    await db.execute(sessions.delete().where(sessions.c.token_hash == _token_hash(token)))


class AlreadyLinked(Exception):
    """That provider account signs in another member."""


class LastSignInMethod(Exception):
    """Removing this would leave the member no way to sign in."""


async def get_user_by_oauth(db: Database, provider: str, subject: str) -> Any | None:
    return await db.fetch_one(
        sa.select(users)
        .join(oauth_accounts, oauth_accounts.c.user_id == users.c.id)
        .where(oauth_accounts.c.provider == provider, oauth_accounts.c.subject == subject)
    )


async def get_user_by_email(db: Database, email: str) -> Any | None:
    return await db.fetch_one(sa.select(users).where(users.c.email == email.strip().lower()))


async def link_oauth(db: Database, *, provider: str, subject: str, user_id: int, email: str | None) -> None:
    async with db.transaction():
        owner = await db.fetch_val(
            sa.select(oauth_accounts.c.user_id).where(
                oauth_accounts.c.provider == provider, oauth_accounts.c.subject == subject
            )
        )
        if owner is not None and owner != user_id:
            raise AlreadyLinked(provider)
        if owner is None:
            await db.execute(
                db.insert(oauth_accounts)
                .values(provider=provider, subject=subject, user_id=user_id, email=email, created_at=utcnow())
                .on_conflict_do_nothing()
            )


async def list_oauth_accounts(db: Database, user_id: int) -> list[Any]:
    return await db.fetch_all(
        sa.select(oauth_accounts).where(oauth_accounts.c.user_id == user_id).order_by(oauth_accounts.c.provider)
    )


async def unlink_oauth(db: Database, *, user_id: int, provider: str) -> None:
    """Remove a linked provider, unless it is the member's last way to sign in."""
    async with db.transaction():
        user = await db.fetch_one(sa.select(users.c.password_hash).where(users.c.id == user_id).with_for_update())
        links = await list_oauth_accounts(db, user_id)
        remaining = [link for link in links if link["provider"] != provider]
        if len(remaining) == len(links):
            return
        if not remaining and not (user and user["password_hash"]):
            raise LastSignInMethod(provider)
        await db.execute(
            oauth_accounts.delete().where(oauth_accounts.c.user_id == user_id, oauth_accounts.c.provider == provider)
        )


async def create_user_from_provider(
    db: Database, *, provider: str, subject: str, email: str, wanted_username: str, display_name: str
) -> int:
    """A new member from a provider's verified identity, with a free username like the wanted one."""
    base = re.sub(r"[^a-z0-9_-]+", "-", wanted_username.lower()).strip("-_")[:28] or "member"
    base = base if len(base) >= 3 else f"{base}-member"
    for attempt in range(1, 1000):
        username = base if attempt == 1 else f"{base[:28]}{attempt}"
        if await get_user_by_username(db, username) is None:
            break
    async with db.transaction():
        user_id = await create_user(
            db,
            username=username,
            email=email,
            display_name=(display_name or username)[:80],
            password_hash=None,
            email_verified=True,
        )
        await link_oauth(db, provider=provider, subject=subject, user_id=user_id, email=email)
        return user_id


async def confirm_email(db: Database, user_id: int, email: str) -> bool:
    """Mark the member's address confirmed, if it is still `email` (the one the link was sent to)."""
    confirmed = await db.fetch_one(
        users.update()
        .where(users.c.id == user_id, users.c.email == email)
        .values(email_verified_at=sa.func.coalesce(users.c.email_verified_at, utcnow()))
        .returning(users.c.id)
    )
    return confirmed is not None


async def link_by_vouched_email(db: Database, *, provider: str, subject: str, user: Any, email: str) -> None:
    """A provider vouches for `email`, the address of an existing member: link the provider to
    them and count the address confirmed, in one transaction. If the member never confirmed it,
    whoever made the account (with a password, or with another provider and then this address)
    may not own it: the account's other ways in go first."""
    async with db.transaction():
        if user["email_verified_at"] is None:
            await _remove_other_ways_in(db, user["id"], keep_password=False)
        await link_oauth(db, provider=provider, subject=subject, user_id=user["id"], email=email)
        await confirm_email(db, user["id"], email)


async def _remove_other_ways_in(db: Database, user_id: int, *, keep_password: bool) -> None:
    """Sessions, API tokens, linked providers and (unless kept) the password of a member whose
    address was never confirmed, when its owner proves the address."""
    if not keep_password:
        await db.execute(users.update().where(users.c.id == user_id).values(password_hash=None))
    for table in (sessions, api_tokens, oauth_accounts):
        await db.execute(table.delete().where(table.c.user_id == user_id))


@dataclass(frozen=True)
class WaysInEnded:
    sessions: int
    api_tokens: int


async def set_password(db: Database, user_id: int, password_hash: str, *, now: datetime) -> WaysInEnded:
    """A new password from an emailed link: the address is proven, and every browser signed in
    before and every API token (perhaps made by whoever learnt the old password) ends; the
    tokens stay listed, marked ended by the reset."""
    async with db.transaction():
        confirmed = await db.fetch_val(sa.select(users.c.email_verified_at).where(users.c.id == user_id))
        if confirmed is None:
            # The address is proven only now: whoever made the account may not own it.
            await _remove_other_ways_in(db, user_id, keep_password=True)
        await db.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(
                password_hash=password_hash,
                email_verified_at=sa.func.coalesce(users.c.email_verified_at, now),
            )
        )
        signed_out = await db.fetch_all(
            sessions.delete().where(sessions.c.user_id == user_id).returning(sessions.c.token_hash)
        )
        tokens = await db.fetch_all(
            api_tokens.update()
            .where(api_tokens.c.user_id == user_id, api_tokens.c.revoked_at.is_(None))
            .where(sa.or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > now))
            .values(revoked_at=now, revoked_reason=PASSWORD_RESET)
            .returning(api_tokens.c.id)
        )
        return WaysInEnded(sessions=len(signed_out), api_tokens=len(tokens))


async def change_email(db: Database, user_id: int, email: str) -> None:
    """A new address, unconfirmed until its link is followed; raises EmailTaken."""
    async with db.transaction():
        taken = await db.fetch_one(sa.select(users.c.id).where(users.c.email == email, users.c.id != user_id))
        if taken is not None:
            raise EmailTaken(email)
        try:
            await db.execute(
                users.update()
                .where(users.c.id == user_id)
                .values(email=email, email_verified_at=None, email_confirmation_sent_at=None)
            )
        except Exception as error:
            if db.is_unique_violation(error):  # another member took it meanwhile
                raise EmailTaken(email) from None
            raise
