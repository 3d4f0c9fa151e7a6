"""What discussions add to the people pages: open questions on the welcome page, the accepted
answers on a member's profile (the counts themselves are kept by record_contribution), and
replies in followed threads in the activity feed."""

from typing import Any

import sqlalchemy as sa
from starlette.requests import Request

from ideas.discussions import queries
from ideas.discussions.reply_queries import accepted_answers_by
from ideas.discussions.tables import thread_follows, thread_replies, threads
from portal.db import Database
from portal.people import activity

OPEN_QUESTIONS = 5


async def open_questions(db: Database, request: Request) -> dict[str, Any]:
    """The latest Q&A threads with no accepted answer yet: a good first place to help."""
    try:
        category = await queries.get_category_by_slug(db, "q-and-a")
    except queries.CategoryNotFound:
        return {"open_questions": []}
    page = await queries.list_threads(db, category_id=category["id"], unanswered=True)
    shown = [row for row in page.rows if row["hidden_at"] is None and row["locked_at"] is None]
    return {"open_questions": shown[:OPEN_QUESTIONS]}


async def accepted_answers(db: Database, request: Request, member: Any) -> dict[str, Any]:
    return {"accepted_answers_list": await accepted_answers_by(db, member["id"])}


async def replies_in_followed_threads(db: Database, scope: activity.Scope) -> list[sa.Select]:
    """Replies by others, newest first, in the threads the member follows (a page at most)."""
    followed = sa.select(thread_follows.c.thread_id).where(
        thread_follows.c.user_id == scope.user_id, thread_follows.c.following == sa.true()
    )
    at, ref_id = thread_replies.c.created_at, thread_replies.c.id
    excerpt = sa.func.substr(thread_replies.c.body, 1, activity.EXCERPT)
    shape = activity.shape("reply", at, ref_id, threads.c.id, threads.c.title, thread_replies.c.author_id, excerpt)
    query = (
        sa.select(*shape)
        .select_from(thread_replies.join(threads, threads.c.id == thread_replies.c.thread_id))
        .where(
            thread_replies.c.thread_id.in_(followed),
            thread_replies.c.hidden_at.is_(None),
            threads.c.hidden_at.is_(None),
            activity.not_by(thread_replies.c.author_id, scope.user_id),
            at >= scope.since,
            activity.before(scope.cursor, "reply", at, ref_id),
        )
        .order_by(at.desc(), ref_id.desc())
        .limit(activity.PAGE_SIZE + 1)
    )
    return [query]


def reply_link(row: Any) -> str:
    """Where a reply in the activity feed points."""
    return f"/discussions/{row['idea_id']}#reply-{row['ref_id']}"
