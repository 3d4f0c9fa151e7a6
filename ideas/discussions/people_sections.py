"""What discussions add to the people pages: open questions on the welcome page, and the
accepted answers on a member's profile (the counts themselves are kept by record_contribution)."""

from typing import Any

from starlette.requests import Request

from ideas.discussions import queries
from ideas.discussions.reply_queries import accepted_answers_by
from portal.db import Database
from portal.people.queries import PROFILE_SECTIONS
from portal.people.welcome import WELCOME_SECTIONS

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


async def accepted_answers(db: Database, member: Any) -> dict[str, Any]:
    return {"accepted_answers_list": await accepted_answers_by(db, member["id"])}


WELCOME_SECTIONS.append(open_questions)
PROFILE_SECTIONS.append(accepted_answers)
