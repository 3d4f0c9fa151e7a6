"""Idea, comment, status and board input, checked field by field; list parameters."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ideas import ranking
from ideas.tables import STATUSES
from portal.accounts.forms import USERNAME
from portal.forms import Form
from portal.markdown import render_markdown

TITLE_MAX = 200
BODY_MAX = 20000
COMMENT_MAX = 10000
NOTE_MAX = 5000
RESERVED_SLUGS = frozenset({"new"})
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
STATUS_LABELS = {
    "open": "Open",
    "under_review": "Under review",
    "planned": "Planned",
    "in_progress": "In progress",
    "shipped": "Shipped",
    "declined": "Declined",
    "duplicate": "Duplicate",
}


def parse_idea(formdata: Mapping[str, Any]) -> Form:
    form = Form.from_formdata(formdata)
    form.text("title", label="Title", min_length=5, max_length=TITLE_MAX)
    body = form.text("body", label="Description", required=False, max_length=BODY_MAX, multiline=True)
    form.data["body_html"] = render_markdown(body) if form.is_valid else ""
    form.data["board"] = form.raw.get("board", "").strip() or "general"
    return form


def parse_answer(formdata: Mapping[str, Any], *, label: str, max_length: int) -> Form:
    """The Markdown of a comment or a reply, and its HTML."""
    form = Form.from_formdata(formdata)
    body = form.text("body", label=label, max_length=max_length, multiline=True)
    form.data["body_html"] = render_markdown(body) if form.is_valid else ""
    return form


def posted_text(form: Form) -> dict[str, str]:
    """A parsed post's Markdown and the HTML made from it, as the queries take them."""
    return {"body": form.data["body"], "body_html": form.data["body_html"]}


def parse_comment(formdata: Mapping[str, Any]) -> Form:
    return parse_answer(formdata, label="Comment", max_length=COMMENT_MAX)


def parse_status_change(formdata: Mapping[str, Any]) -> Form:
    form = Form.from_formdata(formdata)
    status = form.raw.get("status", "")
    if status not in STATUSES or status == "duplicate":
        form.error("status", "Choose one of the statuses in the list (merging marks duplicates).")
    form.data["status"] = status
    note = form.text("note", label="A public note", max_length=NOTE_MAX, multiline=True)
    form.data["note_html"] = render_markdown(note) if form.is_valid else ""
    return form


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64].strip("-")


def parse_place(formdata: Mapping[str, Any], *, example: str, reserved: frozenset[str]) -> Form:
    """What a board and a discussion category both have: a name, an address (made from the name
    when left empty; `example` shows one) and a description."""
    form = Form.from_formdata(formdata)
    name = form.text("name", label="Name", min_length=2, max_length=80)
    slug = form.text("slug", label="Address", required=False, max_length=64).lower() or slugify(name)
    form.data["slug"] = slug
    if name and "slug" not in form.errors and not SLUG.match(slug):
        form.error("slug", f"Use lower-case letters, digits and '-' (for example {example}).")
    elif slug in reserved:
        form.error("slug", f"The address {slug!r} is taken by the site itself; choose another.")
    form.text("description", label="Description", required=False, max_length=2000, multiline=True)
    return form


def parse_board(formdata: Mapping[str, Any]) -> Form:
    form = parse_place(formdata, example="product-ideas", reserved=RESERVED_SLUGS)
    form.data["position"] = form.whole_number("position", label="Position", minimum=0, maximum=10000, default=0)
    form.data["vote_budget"] = form.whole_number("vote_budget", label="Votes per member", minimum=1, maximum=1000)
    question = form.text("campaign_question", label="Campaign question", required=False, max_length=500)
    form.data["campaign_question"] = question or None
    opens_at = _moment(form.day("opens_at", label="Opens on"))
    closes_at = _moment(form.day("closes_at", label="Closes on"), end_of_day=True)
    if question and "opens_at" not in form.errors and opens_at is None:
        form.error("opens_at", "A campaign needs the date it opens.")
    if question and "closes_at" not in form.errors and closes_at is None:
        form.error("closes_at", "A campaign needs the date it closes.")
    if opens_at and closes_at and closes_at - timedelta(days=1) < opens_at:
        form.error("closes_at", "The closing date cannot come before the opening date.")
    if (opens_at or closes_at) and not question:
        form.error("campaign_question", "Dates are for campaigns: add the question the campaign asks.")
    form.data["opens_at"], form.data["closes_at"] = opens_at, closes_at
    form.data["is_archived"] = form.raw.get("is_archived") == "on"
    return form


def _moment(day: date | None, *, end_of_day: bool = False) -> datetime | None:
    """A day in UTC: its first moment, or with `end_of_day` the first moment of the next day."""
    if day is None:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1 if end_of_day else 0)


DEFAULT_SORT = "top"


@dataclass(frozen=True)
class ListQuery:
    sort: ranking.Sort
    after: tuple | None
    status: str | None
    author: str | None
    tag: str | None = None
    board: str | None = None  # from the address's path, not its query (set by the list page)


class BadListQuery(ValueError):
    pass


def parse_list_query(params: Mapping[str, str], default_sort: str = DEFAULT_SORT) -> ListQuery:
    """The order, filters and page a list was asked for; BadListQuery says what is wrong."""
    sort_name = params.get("sort") or default_sort
    sort = ranking.SORTS.get(sort_name)
    if sort is None:
        raise BadListQuery(f"Unknown order {sort_name[:40]!r}: use one of {', '.join(ranking.SORTS)}.")
    status = params.get("status") or None
    if status is not None and status not in STATUSES:
        raise BadListQuery(f"Unknown status {status[:40]!r}: use one of {', '.join(STATUSES)}.")
    after = None
    if params.get("after"):
        try:
            after = sort.parse_cursor(params["after"])
        except ValueError:
            raise BadListQuery("That page link is not valid; start again from the first page.") from None
    author = params.get("author") or None
    if author is not None and not USERNAME.match(author.lower()):
        raise BadListQuery(f"There is no member called {author[:40]!r}.")
    tag = params.get("tag") or None
    if tag is not None and not SLUG.match(tag):
        raise BadListQuery(f"There is no tag {tag[:40]!r}.")
    return ListQuery(sort=sort, after=after, status=status, author=author, tag=tag)


_IDEA_REFERENCE = re.compile(r"^(?:#|.*?/ideas/)?([1-9][0-9]{0,17})/?(?:[?#].*)?$")


def parse_merge(formdata: Mapping[str, Any]) -> Form:
    """Which idea to merge into (its number, #number or address) and the public note."""
    form = Form.from_formdata(formdata)
    reference = form.text("into", label="The idea to merge into", max_length=300)
    match = _IDEA_REFERENCE.match(reference)
    if reference and match is None:
        form.error("into", "Give the idea's number (like 42 or #42) or its address.")
    form.data["into"] = int(match.group(1)) if match else None
    note = form.text("merge_note", label="A public note", max_length=NOTE_MAX, multiline=True)
    form.data["note_html"] = render_markdown(note) if form.is_valid else ""
    return form


def parse_tags(formdata: Mapping[str, Any]) -> Form:
    """Comma-separated tag names -> {slug: name}; at most 10 tags of up to 40 characters."""
    form = Form.from_formdata(formdata)
    raw = form.text("tags", label="Tags", required=False, max_length=500)
    named: dict[str, str] = {}
    for part in raw.split(","):
        name = " ".join(part.split())
        if not name:
            continue
        slug = slugify(name)[:40].strip("-")
        if not slug or len(name) > 40:
            form.error("tags", f"“{name[:50]}” cannot be a tag: use up to 40 letters, digits, spaces or '-'.")
            continue
        named.setdefault(slug, name)
    if len(named) > 10:
        form.error("tags", "An idea can carry at most 10 tags.")
    form.data["tags"] = named
    return form


def parse_edit_note(formdata: Mapping[str, Any], form: Form) -> None:
    """A maintainer's reason for editing someone else's idea, shown in its history."""
    form.data["edit_note"] = form.text("edit_note", label="Why you edit it", required=False, max_length=NOTE_MAX)
