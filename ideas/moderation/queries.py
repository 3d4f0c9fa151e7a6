"""Flags, the moderation queue, moderators' actions and the public log, suspensions, the code of conduct.

Actions on posts are written once over every kind of post (ideas/posts.py); this module records them.
"""

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ideas import posts
from ideas.moderation.tables import flags, moderation_log, site_texts
from portal.accounts.tables import users
from portal.db import Database
from portal.markdown import render_markdown
from portal.notifications import queries as notification_queries
from portal.paging import Page, by_id, fetch_page
from portal.people.export import plain

PAGE_SIZE = 50


TargetNotFound = posts.PostNotFound
ActionRefused = posts.ActionRefused
# A post as moderation shows it (kind, row, label, path, hidden, locked): ideas/posts.py.
Target = posts.Post


class AlreadyFlagged(Exception):
    def __init__(self, flagged_at: datetime) -> None:
        super().__init__(flagged_at)
        self.flagged_at = flagged_at


async def load_targets(db: Database, keys: list[tuple[str, int]]) -> dict[tuple[str, int], Target]:
    """The posts named by (kind, id), at most one query per kind."""
    wanted: dict[str, list[int]] = {}
    for kind, target_id in keys:
        wanted.setdefault(kind, []).append(target_id)
    found: dict[tuple[str, int], Target] = {}
    for name, ids in wanted.items():
        kind = posts.KINDS[name]
        for target_id, row in (await posts.find(db, kind, ids)).items():
            found[(name, target_id)] = Target(kind, row)
    return found


async def get_target(db: Database, kind: str, target_id: int) -> Target:
    """The post, unless it is gone (a deleted comment); TargetNotFound otherwise."""
    target = (await load_targets(db, [(kind, target_id)])).get((kind, target_id))
    if target is None or any(target.row[name] is not None for name in target.kind.gone if name != "hidden_at"):
        raise TargetNotFound(kind, target_id)
    return target


async def flag(db: Database, *, kind: str, target_id: int, user_id: int, reason: str, now: datetime) -> None:
    """Report a post to the moderators; AlreadyFlagged (and nothing written) the second time."""
    async with db.transaction():
        inserted = await db.fetch_one(
            db.insert(flags)
            .values(target_kind=kind, target_id=target_id, user_id=user_id, reason=reason, created_at=now)
            .on_conflict_do_nothing()
            .returning(flags.c.id)
        )
        if inserted is None:
            earlier = await db.fetch_val(
                sa.select(flags.c.created_at).where(
                    flags.c.target_kind == kind, flags.c.target_id == target_id, flags.c.user_id == user_id
                )
            )
            raise AlreadyFlagged(earlier)


async def list_open_flags(db: Database, *, before: int | None = None) -> Page:
    """The queue: flags nobody acted on yet, newest first, keyset on id."""
    reporter = users.alias("reporter")
    query = (
        sa.select(flags, reporter.c.username.label("reporter_username"), reporter.c.display_name.label("reporter_name"))
        .join(reporter, reporter.c.id == flags.c.user_id)
        .where(flags.c.resolved_at.is_(None))
        .order_by(flags.c.id.desc())
    )
    if before is not None:
        query = query.where(flags.c.id < before)
    return await fetch_page(db, query, PAGE_SIZE, by_id)


async def open_flags_of(db: Database, kind: str, target_id: int) -> list[Any]:
    reporter = users.alias("reporter")
    return await db.fetch_all(
        sa.select(flags, reporter.c.display_name.label("reporter_name"))
        .join(reporter, reporter.c.id == flags.c.user_id)
        .where(flags.c.target_kind == kind, flags.c.target_id == target_id, flags.c.resolved_at.is_(None))
        .order_by(flags.c.id)
    )


async def log_edit(
    db: Database, *, actor_id: int, kind: str, target_id: int, label: str, note: str, now: datetime
) -> None:
    """A maintainer edited someone else's post: said in the public log (call inside the edit's transaction)."""
    await _log(
        db, actor_id=actor_id, action="edit", kind=kind, target_id=target_id, label=label, detail="", note=note, now=now
    )


async def _log(
    db: Database,
    *,
    actor_id: int,
    action: str,
    kind: str | None,
    target_id: int | None,
    label: str,
    detail: str,
    note: str,
    now: datetime,
) -> None:
    await db.execute(
        moderation_log.insert().values(
            actor_id=actor_id,
            action=action,
            target_kind=kind,
            target_id=target_id,
            target_label=label[:300],
            detail=detail[:300],
            note=note,
            note_html=render_markdown(note),
            created_at=now,
        )
    )


async def act(
    db: Database,
    *,
    actor_id: int,
    target: Target,
    action: str,
    note: str,
    now: datetime,
    destination: Any | None = None,
) -> None:
    """Do a moderator's action on a post, log it and close the post's open flags, in one transaction."""
    post_kind, target_id = target.kind, target.id
    kind = post_kind.name
    detail = ""
    async with db.transaction():
        if action in ("hide", "restore"):
            if (action == "hide") == target.hidden:
                raise ActionRefused(f"This {kind} is {'hidden' if target.hidden else 'visible'} already.")
            await posts.set_hidden(db, post_kind, target_id, reason=note if action == "hide" else None, now=now)
            if post_kind.parent is None:
                await notification_queries.set_hidden(db, kind, target_id, hidden=action == "hide")
        elif action in ("lock", "unlock"):
            if post_kind.lockable and (action == "lock") == target.locked:
                raise ActionRefused(f"This {kind} is {'locked' if target.locked else 'unlocked'} already.")
            await posts.set_locked(db, post_kind, target_id, locked=action == "lock", now=now)
        elif action == "move":
            if post_kind.container is None or destination is None:
                raise ActionRefused("Only ideas (to another board) and threads (to another category) can be moved.")
            if destination["id"] == target.row[post_kind.container.key]:
                raise ActionRefused(f"The {kind} is in {destination['name']} already.")
            moved_from, moved_to = await posts.move(db, post_kind, target_id, destination["id"])
            detail = f"from {moved_from} to {moved_to}"
        elif action == "dismiss":
            if not await open_flags_of(db, kind, target_id):
                raise ActionRefused("There are no open flags on this post to dismiss.")
        else:
            raise ActionRefused(f"Unknown action {action!r}.")
        resolved = await db.fetch_all(
            flags.update()
            .where(flags.c.target_kind == kind, flags.c.target_id == target_id, flags.c.resolved_at.is_(None))
            .values(resolved_at=now, resolved_by_id=actor_id)
            .returning(flags.c.id)
        )
        if action == "dismiss":
            detail = f"{len(resolved)} flag{'' if len(resolved) == 1 else 's'} dismissed"
        await _log(
            db,
            actor_id=actor_id,
            action=action,
            kind=kind,
            target_id=target_id,
            # The public log must not keep the title of what it hides.
            label=f"{kind} #{target_id}" if action == "hide" and post_kind.parent is None else target.label,
            detail=detail,
            note=note,
            now=now,
        )


async def set_suspension(
    db: Database, *, actor_id: int, user: Any, until: datetime | None, note: str, now: datetime
) -> None:
    """Suspend a member until a moment (None lifts the suspension), logged in public."""
    async with db.transaction():
        await db.execute(
            users.update()
            .where(users.c.id == user["id"])
            .values(suspended_until=until, suspension_reason=note if until else None)
        )
        await _log(
            db,
            actor_id=actor_id,
            action="suspend" if until else "unsuspend",
            kind="member",
            target_id=user["id"],
            label=f"@{user['username']}",
            detail=f"until {until:%Y-%m-%d %H:%M} UTC" if until else "",
            note=note,
            now=now,
        )


async def list_log(db: Database, *, before: int | None = None) -> Page:
    """The public moderation log, newest first, keyset on id."""
    actor = users.alias("actor")
    query = (
        sa.select(
            moderation_log,
            actor.c.username.label("author_username"),
            actor.c.display_name.label("author_display_name"),
            actor.c.role.label("author_role"),
            actor.c.is_founder.label("author_is_founder"),
        )
        .select_from(moderation_log.outerjoin(actor, actor.c.id == moderation_log.c.actor_id))
        .order_by(moderation_log.c.id.desc())
    )
    if before is not None:
        query = query.where(moderation_log.c.id < before)
    return await fetch_page(db, query, PAGE_SIZE, by_id)


CODE_OF_CONDUCT = "code_of_conduct"
DEFAULT_CODE_OF_CONDUCT = """\
We want this community to be a friendly, useful place for everyone who cares about the project.

**Be kind and assume good intent.** Disagree with ideas, not with people. No insults, harassment,
threats, or discrimination of any kind.

**Stay on topic and be useful.** Search before you post, answer what was asked, and mark the answer
that helped you.

**No spam.** Advertising belongs in *Help wanted and jobs*, once, with honest details.

**Respect privacy.** Do not post anyone's personal information.

**Moderation is open.** Anyone can flag a post. Maintainers may hide, lock or move posts, and admins may
suspend members for a time; every action and its reason appears in the public moderation log,
including those taken by founders and maintainers.
"""


async def get_code_of_conduct(db: Database) -> Any:
    row = await db.fetch_one(sa.select(site_texts).where(site_texts.c.name == CODE_OF_CONDUCT))
    if row is not None:
        return row
    return {"body": DEFAULT_CODE_OF_CONDUCT, "body_html": render_markdown(DEFAULT_CODE_OF_CONDUCT), "updated_at": None}


async def save_code_of_conduct(db: Database, *, actor_id: int, body: str, note: str, now: datetime) -> None:
    values = {"body": body, "body_html": render_markdown(body), "updated_at": now, "updated_by_id": actor_id}
    async with db.transaction():
        statement = db.insert(site_texts).values(name=CODE_OF_CONDUCT, **values)
        await db.execute(statement.on_conflict_do_update(index_elements=["name"], set_=values))
        await _log(
            db,
            actor_id=actor_id,
            action="edit_code_of_conduct",
            kind=None,
            target_id=None,
            label="the code of conduct",
            detail="",
            note=note,
            now=now,
        )


async def forget_suspended_member(db: Database, user_id: int) -> None:
    """The public log keeps what moderators did to a deleted member's account, not their name."""
    await db.execute(
        moderation_log.update()
        .where(moderation_log.c.target_kind == "member", moderation_log.c.target_id == user_id)
        .values(target_label="a deleted member")
    )


async def export_flags(db: Database, user_id: int) -> list[dict[str, Any]]:
    """The member's reports about posts (not what moderators or other members did with them)."""
    rows = await db.fetch_all(sa.select(flags).where(flags.c.user_id == user_id).order_by(flags.c.id))
    return [plain(row, "target_kind", "target_id", "reason", "created_at", "resolved_at") for row in rows]
