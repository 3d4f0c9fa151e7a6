"""Reads and writes of personal API tokens."""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from portal.accounts.queries import PUBLIC_USER_COLUMNS
from portal.accounts.tables import api_tokens, users
from portal.db import Database, utcnow
from portal.statements import kept

# A prefix makes a leaked token easy to recognise (and to grep for in a repository).
TOKEN_PREFIX = "rt_"
# last_used_at is a hint for the member, not an audit log: one write a minute per token at most.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(db: Database, *, user_id: int, name: str, scope: str, expires_at: datetime | None) -> str:
    """A new token; the caller shows it once, the database keeps only its hash."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    await db.execute(
        api_tokens.insert().values(
            token_hash=token_hash(token),
            user_id=user_id,
            name=name,
            scope=scope,
            created_at=utcnow(),
            expires_at=expires_at,
        )
    )
    return token


async def list_tokens(db: Database, user_id: int) -> list[Any]:
    """The member's tokens, newest first, revoked ones included (they say when)."""
    return await db.fetch_all(
        sa.select(api_tokens).where(api_tokens.c.user_id == user_id).order_by(api_tokens.c.id.desc())
    )


async def revoke_token(db: Database, *, user_id: int, token_id: int) -> bool:
    """Revoke one of the member's own tokens; False when there is no such live token of theirs."""
    revoked = await db.fetch_one(
        api_tokens.update()
        .where(api_tokens.c.id == token_id, api_tokens.c.user_id == user_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .returning(api_tokens.c.id)
    )
    return revoked is not None


async def get_token_user(db: Database, token: str) -> Any | None:
    """The member behind a live token, with the token's id, scope and last use; None if unusable.

    Deleting a member deletes their tokens (ON DELETE CASCADE).
    """
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    return await db.fetch_one(*_token_user(token_hash(token), utcnow()))


# Read on every API request.
@kept
def _token_user(token_hash: str, now: datetime) -> sa.Select:
    return (
        sa.select(
            *PUBLIC_USER_COLUMNS,
            api_tokens.c.id.label("token_id"),
            api_tokens.c.scope.label("token_scope"),
            api_tokens.c.last_used_at.label("token_last_used_at"),
        )
        .select_from(api_tokens.join(users, users.c.id == api_tokens.c.user_id))
        .where(
            api_tokens.c.token_hash == token_hash,
            api_tokens.c.revoked_at.is_(None),
            sa.or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > now),
        )
    )


async def touch_token(db: Database, token_id: int, last_used_at: datetime | None) -> None:
    """Record that the token was used, at most once per LAST_USED_RESOLUTION."""
    now = utcnow()
    if last_used_at is not None and now - last_used_at < LAST_USED_RESOLUTION:
        return
    await db.execute(api_tokens.update().where(api_tokens.c.id == token_id).values(last_used_at=now))
