"""Deleting a member's account.

Deleting keeps what the member posted (ideas, comments, threads, replies) for the discussions
they belong to, shown under "deleted member", and removes everything personal, their
@username in other members' posts included. It runs in one transaction:

1. every forget hook of the app's domains runs (their Domain's `forget_hooks`, in the order of
   the domains), so that each domain removes the member's rows whose
   removal changes a counter (votes, reactions, ...) and corrects those counters, and the
   posts that name the member (portal/mention_records.py) say "deleted member" instead, in their
   text, their HTML and their search documents;
2. every column that references users.id without ON DELETE is cleared (nullable) or its rows
   removed, so that a table added later cannot block a deletion;
3. the users row goes; ON DELETE CASCADE removes sessions, linked providers, notifications,
   follows and the profile, ON DELETE SET NULL detaches posts and timeline entries.

A domain that keeps counters over rows of members lists its own cleanup in its Domain
(`forget_hooks=(forget_member,)`):

    async def forget_member(db: Database, user_id: int) -> None:
        ...  # delete the member's rows and fix the counts, inside the caller's transaction

forget_reactions_on() and forget_mentions_in() below do the common parts for the posts of a
domain (ideas/forgetting.py). What the member can download is portal/people/export.py.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from portal.accounts.tables import users
from portal.db import Database, metadata
from portal.mail.tables import outbox
from portal.markdown import render_markdown
from portal.mention_records import without_mentions_of
from portal.notifications.tables import notifications

ForgetHook = Callable[[Database, int], Awaitable[None]]


class LastAdmin(Exception):
    """The portal would be left without an admin."""


async def delete_account(db: Database, user_id: int, forget_hooks: Sequence[ForgetHook]) -> None:
    """Remove the member and everything personal; their posts stay, by "deleted member".
    `forget_hooks`: the app's (request.app.state.assembly.forget_hooks).

    Refuses (LastAdmin) to remove the only admin, who would leave nobody able to appoint one.
    """
    async with db.transaction():
        found = await db.fetch_one(sa.select(users.c.role).where(users.c.id == user_id).with_for_update())
        if found is None:
            return
        if found["role"] == "admin":
            # Locked, so that two admins deleting themselves at once cannot both pass this check.
            admins = await db.fetch_all(sa.select(users.c.id).where(users.c.role == "admin").with_for_update())
            if len(admins) <= 1:
                raise LastAdmin()
        for hook in forget_hooks:
            await hook(db, user_id)
        await _clear_plain_references(db, user_id)
        await db.execute(users.delete().where(users.c.id == user_id))


async def _clear_plain_references(db: Database, user_id: int) -> None:
    for table in metadata.sorted_tables:
        for foreign_key in table.foreign_keys:
            if foreign_key.column is not users.c.id or foreign_key.ondelete:
                continue
            column = foreign_key.parent
            if column.nullable:
                await db.execute(table.update().where(column == user_id).values({column.name: None}))
            else:
                await db.execute(table.delete().where(column == user_id))


async def forget_reactions_on(
    db: Database, user_id: int, targets: Sequence[tuple[sa.Table, sa.Column, sa.Table]]
) -> None:
    """Take back the member's reactions and recount them on each post they reacted to.

    `targets`: per kind of post, its reactions table, the column naming the post, and the posts'
    table (whose `reaction_counts` this rewrites)."""
    for table, key, owner in targets:
        reacted = sorted(
            {row[key.name] for row in await db.fetch_all(sa.select(key).where(table.c.user_id == user_id))}
        )
        if not reacted:
            continue
        await db.fetch_all(
            sa.select(owner.c.id).where(owner.c.id.in_(reacted)).order_by(owner.c.id).with_for_update(key_share=True)
        )
        await db.execute(table.delete().where(table.c.user_id == user_id))
        counted = await db.fetch_all(
            sa.select(key, table.c.reaction, sa.func.count().label("n"))
            .where(key.in_(reacted))
            .group_by(key, table.c.reaction)
        )
        counts: dict[int, dict[str, int]] = {target: {} for target in reacted}
        for row in counted:
            counts[row[key.name]][row["reaction"]] = row["n"]
        for target, target_counts in counts.items():
            await db.execute(owner.update().where(owner.c.id == target).values(reaction_counts=target_counts))


@dataclass(frozen=True)
class MentioningPosts:
    """One kind of post that can name a member: its table, how its search document follows a
    rewritten body, how that index drops the words no document uses any more, and the anchor
    of the notifications whose emails quote it (portal/notifications/excerpts.py), if any."""

    table: sa.Table
    rewrite_document: Callable[[Database, int, str], Awaitable[None]]
    drop_rewritten_words: Callable[[Database], Awaitable[None]]
    anchor: str | None


QUOTED_BATCH = 100  # anchors per statement that drops the emails quoting rewritten posts


async def forget_mentions_in(db: Database, user_id: int, kinds: Sequence[MentioningPosts]) -> None:
    """Other members' posts of these kinds that @mention the member say "deleted member" instead:
    text, HTML, search.

    Every post whose text holds "@username" in any case is read, not only those the mentions
    table names: the table records the mentions the page links, and the name written as code,
    as a link's text or in a fenced block is no link (nobody was told) but her name all the same.
    One scan of each kind of post per deletion. Editing is not recorded (edited_at stays): nobody
    changed what the post says, only a name that no longer exists.
    """
    username = await db.fetch_val(sa.select(users.c.username).where(users.c.id == user_id))
    indexes_rewritten = []
    quoted = []
    for kind in kinds:
        table = kind.table
        naming = sa.func.lower(table.c.body).contains(f"@{username.lower()}", autoescape=True)
        posts = await db.fetch_all(
            sa.select(table.c.id, table.c.body).where(naming).order_by(table.c.id).with_for_update()
        )
        for post in posts:
            body = without_mentions_of(post["body"], username)
            if body == post["body"]:
                continue
            await db.execute(
                table.update().where(table.c.id == post["id"]).values(body=body, body_html=render_markdown(body))
            )
            await kind.rewrite_document(db, post["id"], body)
            if kind.drop_rewritten_words not in indexes_rewritten:
                indexes_rewritten.append(kind.drop_rewritten_words)
            if kind.anchor is not None:
                quoted.append(f"#{kind.anchor}-{post['id']}")
    for drop_rewritten_words in indexes_rewritten:
        await drop_rewritten_words(db)
    # The outbox's copies of emails that quoted those posts hold the name as sent, often base64-
    # or quoted-printable-encoded where no search of the stored text finds it: they go.
    for start in range(0, len(quoted), QUOTED_BATCH):
        about_them = sa.select(notifications.c.id).where(
            sa.or_(
                *(notifications.c.path.endswith(end, autoescape=True) for end in quoted[start : start + QUOTED_BATCH])
            )
        )
        await db.execute(outbox.delete().where(outbox.c.notification_id.in_(about_them)))
