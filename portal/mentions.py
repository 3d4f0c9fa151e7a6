"""@username mentions: checking the members a post mentions exist, and telling them once.

The Markdown renderer (portal/markdown.py) finds mentions and links them to /people/{username};
portal/mention_records.py keeps which post mentions whom.
"""

import sqlalchemy as sa

from portal.accounts.tables import users
from portal.db import Database, utcnow
from portal.forms import Form
from portal.markdown import mentioned_usernames
from portal.mention_records import mentions
from portal.notifications.queries import About, Audience, notify_once

MAX_MENTIONS = 20


async def check_mentions(db: Database, form: Form, field: str) -> list[int]:
    """The ids of the members `field` mentions; an error on the field names anyone who does not exist."""
    names = mentioned_usernames(form.data.get(field, ""))
    if not names:
        return []
    if len(names) > MAX_MENTIONS:
        form.error(field, f"A post can mention at most {MAX_MENTIONS} members (this one mentions {len(names)}).")
        return []
    rows = await db.fetch_all(sa.select(users.c.id, users.c.username).where(users.c.username.in_(names)))
    found = {row["username"]: row["id"] for row in rows}
    missing = [name for name in names if name not in found]
    if missing:
        listed = ", ".join(f"@{name}" for name in missing)
        form.error(
            field,
            f"There is no member called {listed}. Check the spelling, or write the name without the @.",
        )
        return []
    return [found[name] for name in names]


async def notify_mentioned(
    db: Database,
    *,
    kind: str,
    target_id: int,
    user_ids: list[int],
    actor_id: int,
    subject: str,
    path: str,
    about: About,
) -> int:
    """Tell the members mentioned for the first time in this post; returns how many were told."""
    if not user_ids:
        return 0
    async with db.transaction():
        audience = await mentioned_audience(
            db, kind=kind, target_id=target_id, user_ids=user_ids, actor_id=actor_id, subject=subject
        )
        return await notify_once(db, [audience], actor_id=actor_id, path=path, about=about)


async def mentioned_audience(
    db: Database, *, kind: str, target_id: int, user_ids: list[int], actor_id: int, subject: str
) -> Audience | None:
    """Record who this post mentions (its author too), and return the others mentioned in it for the first time as the
    audience of a "mention" notification: the most specific reason an event can concern a member,
    so it goes first in notify_once(). None when nobody is to be told. Call inside the post's
    transaction."""
    new = []
    now = utcnow()
    for user_id in dict.fromkeys(user_ids):
        inserted = await db.fetch_one(
            db.insert(mentions)
            .values(target_kind=kind, target_id=target_id, user_id=user_id, created_at=now)
            .on_conflict_do_nothing()
            .returning(mentions.c.user_id)
        )
        if inserted is not None and user_id != actor_id:
            new.append(user_id)
    if not new:
        return None
    return Audience(sa.select(users.c.id).where(users.c.id.in_(new)), "mention", subject)
