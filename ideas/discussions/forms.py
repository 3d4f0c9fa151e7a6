"""Thread, reply, category and thread-to-idea input, checked field by field."""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ideas.discussions.tables import CATEGORY_KINDS
from ideas.forms import parse_answer, parse_place
from portal.forms import Form
from portal.markdown import render_markdown

TITLE_MAX = 200
BODY_MAX = 20000
REPLY_MAX = 10000
RESERVED_SLUGS = frozenset({"new", "manage"})
KIND_LABELS = {
    "plain": "Conversation",
    "questions": "Questions (the asker accepts an answer)",
    "deadlines": "Posts with an optional deadline",
}


def parse_thread_text(formdata: Mapping[str, Any]) -> Form:
    form = Form.from_formdata(formdata)
    form.text("title", label="Title", min_length=5, max_length=TITLE_MAX)
    body = form.text("body", label="Text", max_length=BODY_MAX, multiline=True)
    form.data["body_html"] = render_markdown(body) if body and "body" not in form.errors else ""
    return form


def parse_thread(formdata: Mapping[str, Any], categories: dict[str, Any], now: datetime) -> Form:
    form = parse_thread_text(formdata)
    slug = form.raw.get("category", "")
    category = categories.get(slug)
    if category is None:
        form.error("category", "Choose one of the categories in the list.")
    form.data["category"] = category
    day = form.day("deadline", label="Deadline")
    form.data["deadline"] = None
    if day is not None:
        if category is not None and category["kind"] != "deadlines":
            form.error("deadline", f"Posts in {category['name']} have no deadline; leave it empty.")
        else:
            # The post takes replies through the whole of its last day (UTC).
            deadline = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
            if deadline <= now:
                form.error("deadline", "The deadline has passed already; choose today or a later day.")
            form.data["deadline"] = deadline
    return form


def parse_reply(formdata: Mapping[str, Any]) -> Form:
    return parse_answer(formdata, label="Reply", max_length=REPLY_MAX)


def parse_category(formdata: Mapping[str, Any]) -> Form:
    form = parse_place(formdata, example="q-and-a", reserved=RESERVED_SLUGS)
    kind = form.raw.get("kind", "plain")
    if kind not in CATEGORY_KINDS:
        form.error("kind", "Choose one of the kinds in the list.")
    form.data["kind"] = kind
    form.data["position"] = form.whole_number("position", label="Position", minimum=0, maximum=10000, default=0)
    return form


def parse_to_idea(formdata: Mapping[str, Any], boards: dict[str, Any]) -> Form:
    form = Form.from_formdata(formdata)
    board = boards.get(form.raw.get("board", ""))
    if board is None:
        form.error("board", "Choose one of the boards in the list.")
    form.data["board"] = board
    return form


def parse_edit_note(formdata: Mapping[str, Any], form: Form, *, required: bool) -> None:
    """A maintainer's reason for editing someone else's post, for the public moderation log."""
    form.data["edit_note"] = form.text(
        "edit_note", label="Why you edit it", required=required, max_length=5000, multiline=True
    )
