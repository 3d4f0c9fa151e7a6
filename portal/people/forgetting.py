"""Deleting a member's account.

Deleting keeps what the member posted (ideas, comments, threads, replies) for the discussions
they belong to, shown under "deleted member", and removes everything personal, their
@username in other members' posts included. It runs in one transaction:

1. every hook in FORGET_HOOKS runs, so that each domain removes the member's rows whose
   removal changes a counter (votes, reactions, ...) and corrects those counters, and the
   posts that name the member (portal/mention_records.py) say "deleted member" instead, in their
   text, their HTML and their search documents;
2. every column that references users.id without ON DELETE is cleared (nullable) or its rows
   removed, so that a table added later cannot block a deletion;
3. the users row goes; ON DELETE CASCADE removes sessions, linked providers, notifications,
   follows and the profile, ON DELETE SET NULL detaches posts and timeline entries.

A domain that keeps counters over rows of members registers its own cleanup:

    from portal.people.forgetting import forget_hook

    @forget_hook
    async def forget_member(db: Database, user_id: int) -> None:
        ...  # delete the member's rows and fix the counts, inside the caller's transaction

and makes sure the module is imported when the app starts (import it from its routes module).
What the member can download is portal/people/export.py.
"""

from collections.abc import Awaitable, Callable

import sqlalchemy as sa

from ideas import ranking
from ideas import search as idea_search
from ideas.discussions import search as discussion_search
from ideas.discussions.tables import reply_reactions, thread_reactions, thread_replies, threads
from ideas.tables import NO_VOTES_SCORE, comment_reactions, comments, idea_reactions, ideas, votes
from portal.accounts.tables import users
from portal.db import Database, metadata
from portal.mail.tables import outbox
from portal.markdown import render_markdown
from portal.mention_records import without_mentions_of
from portal.notifications.tables import notifications
from portal.people import queries as people_queries

ForgetHook = Callable[[Database, int], Awaitable[None]]
FORGET_HOOKS: list[ForgetHook] = []


def forget_hook(hook: ForgetHook) -> ForgetHook:
    if hook not in FORGET_HOOKS:
        FORGET_HOOKS.append(hook)
    return hook


class LastAdmin(Exception):
    """The portal would be left without an admin."""


async def delete_account(db: Database, user_id: int) -> None:
    """Remove the member and everything personal; their posts stay, by "deleted member".

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
        for hook in FORGET_HOOKS:
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


forget_hook(people_queries.forget_expertise)


@forget_hook
async def forget_votes(db: Database, user_id: int) -> None:
    """Take back the member's votes, on open and closed ideas alike, and recount each idea."""
    voted = [row["idea_id"] for row in await db.fetch_all(sa.select(votes.c.idea_id).where(votes.c.user_id == user_id))]
    if not voted:
        return
    # Locked in id order, the order every other writer of several ideas takes them in.
    await db.fetch_all(
        sa.select(ideas.c.id).where(ideas.c.id.in_(voted)).order_by(ideas.c.id).with_for_update(key_share=True)
    )
    await db.execute(votes.delete().where(votes.c.user_id == user_id))
    remaining = await db.fetch_all(sa.select(votes.c.idea_id, votes.c.created_at).where(votes.c.idea_id.in_(voted)))
    exponents: dict[int, list[float]] = {idea_id: [] for idea_id in voted}
    for row in remaining:
        exponents[row["idea_id"]].append(ranking.vote_weight_exponent(row["created_at"]))
    for idea_id, weights in exponents.items():
        await db.execute(
            ideas.update()
            .where(ideas.c.id == idea_id)
            .values(vote_count=len(weights), trending_score=ranking.score_of(weights) if weights else NO_VOTES_SCORE)
        )


@forget_hook
async def forget_reactions(db: Database, user_id: int) -> None:
    """Take back the member's reactions and recount them on each idea, comment, thread and reply."""
    for table, key, owner in (
        (idea_reactions, idea_reactions.c.idea_id, ideas),
        (comment_reactions, comment_reactions.c.comment_id, comments),
        (thread_reactions, thread_reactions.c.thread_id, threads),
        (reply_reactions, reply_reactions.c.reply_id, thread_replies),
    ):
        targets = sorted(
            {row[key.name] for row in await db.fetch_all(sa.select(key).where(table.c.user_id == user_id))}
        )
        if not targets:
            continue
        await db.fetch_all(
            sa.select(owner.c.id).where(owner.c.id.in_(targets)).order_by(owner.c.id).with_for_update(key_share=True)
        )
        await db.execute(table.delete().where(table.c.user_id == user_id))
        counted = await db.fetch_all(
            sa.select(key, table.c.reaction, sa.func.count().label("n"))
            .where(key.in_(targets))
            .group_by(key, table.c.reaction)
        )
        counts: dict[int, dict[str, int]] = {target: {} for target in targets}
        for row in counted:
            counts[row[key.name]][row["reaction"]] = row["n"]
        for target, target_counts in counts.items():
            await db.execute(owner.update().where(owner.c.id == target).values(reaction_counts=target_counts))


# Where each kind of post that can name a member lives, how its search document follows, and
# the anchor of the notifications whose emails quote it (portal/notifications/excerpts.py).
_MENTIONING_POSTS = {
    "idea": (ideas, idea_search.rewrite_idea_body, idea_search.drop_rewritten_words, None),
    "comment": (comments, idea_search.rewrite_comment_body, idea_search.drop_rewritten_words, "comment"),
    "thread": (threads, discussion_search.rewrite_thread_body, discussion_search.drop_rewritten_words, None),
    "reply": (thread_replies, discussion_search.rewrite_reply_body, discussion_search.drop_rewritten_words, "reply"),
}
QUOTED_BATCH = 100  # anchors per statement that drops the emails quoting rewritten posts


@forget_hook
async def forget_mentions(db: Database, user_id: int) -> None:
    """Other members' posts that @mention the member say "deleted member" instead: text, HTML, search.

    Every post whose text holds "@username" in any case is read, not only those the mentions
    table names: the table records the mentions the page links, and the name written as code,
    as a link's text or in a fenced block is no link (nobody was told) but her name all the same.
    One scan of each kind of post per deletion. Editing is not recorded (edited_at stays): nobody
    changed what the post says, only a name that no longer exists.
    """
    username = await db.fetch_val(sa.select(users.c.username).where(users.c.id == user_id))
    indexes_rewritten = set()
    quoted = []
    for table, rewrite_document, drop_rewritten_words, anchor in _MENTIONING_POSTS.values():
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
            await rewrite_document(db, post["id"], body)
            indexes_rewritten.add(drop_rewritten_words)
            if anchor is not None:
                quoted.append(f"#{anchor}-{post['id']}")
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
