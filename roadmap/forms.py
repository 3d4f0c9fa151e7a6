"""Roadmap, milestone and release input, checked field by field."""

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from portal.forms import Form
from portal.markdown import render_markdown
from roadmap.tables import COLUMNS

_IDEA_REFERENCE = re.compile(r"#?([1-9][0-9]{0,17})")
VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,39}$")


def _date(form: Form, name: str, label: str) -> date | None:
    raw = form.raw.get(name, "").strip()
    if not raw:
        form.error(name, f"{label} is required.")
        return None
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        form.error(name, f"{label} must be a date like 2026-12-31.")
        return None
    if not 2000 <= day.year <= 9000:
        form.error(name, f"{label} must be a date between the years 2000 and 9000.")
        return None
    return day


def _whole_number(form: Form, name: str, label: str, *, default: int, maximum: int) -> int:
    raw = form.raw.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdecimal()) or int(raw) > maximum:
        form.error(name, f"{label} must be a whole number from 0 to {maximum}.")
        return default
    return int(raw)


def parse_draft_item(formdata: Mapping[str, Any]) -> Form:
    form = Form.from_formdata(formdata)
    reference = form.text("idea", label="Idea", max_length=40)
    match = _IDEA_REFERENCE.fullmatch(reference)
    if reference and match is None:
        form.error("idea", "Give the idea's number, like 42 or #42.")
    form.data["idea_id"] = int(match.group(1)) if match else None
    column = form.raw.get("column", "")
    if column not in COLUMNS:
        form.error("column", "Choose Planned, In progress or Shipped.")
    form.data["column"] = column
    form.data["position"] = _whole_number(form, "position", "Position", default=0, maximum=10000)
    milestone = form.raw.get("milestone", "").strip()
    form.data["milestone_id"] = None
    if milestone:
        if not (milestone.isascii() and milestone.isdecimal() and len(milestone) < 18):
            form.error("milestone", "Choose a milestone from the list.")
        else:
            form.data["milestone_id"] = int(milestone)
    form.text("note", label="Note", required=False, max_length=500)
    return form


def parse_publication(formdata: Mapping[str, Any]) -> Form:
    form = Form.from_formdata(formdata)
    summary = form.text("summary", label="Summary", max_length=5000, multiline=True)
    form.data["summary_html"] = render_markdown(summary) if form.is_valid else ""
    return form


def parse_milestone(formdata: Mapping[str, Any]) -> Form:
    form = Form.from_formdata(formdata)
    form.text("name", label="Name", max_length=80)
    form.data["target_date"] = _date(form, "target_date", "Target date")
    form.text("description", label="Description", required=False, max_length=2000, multiline=True)
    return form


def parse_release(formdata: Mapping[str, Any]) -> Form:
    form = Form.from_formdata(formdata)
    version = form.text("version", label="Version", max_length=40)
    if version and "version" not in form.errors and not VERSION.match(version):
        form.error("version", "Use letters, digits, '.', '-', '+' or '_' (for example v2.3.0).")
    form.data["released_on"] = _date(form, "released_on", "Release date")
    notes = form.text("notes", label="Notes", required=False, max_length=50000, multiline=True)
    form.data["notes_html"] = render_markdown(notes) if form.is_valid else ""
    raw_ideas = form.text("ideas", label="Ideas", required=False, max_length=2000)
    idea_ids: list[int] = []
    for part in re.split(r"[\s,]+", raw_ideas):
        if not part:
            continue
        match = _IDEA_REFERENCE.fullmatch(part)
        if match is None:
            form.error("ideas", f"“{part[:40]}” is not an idea number; list numbers like 12, #13.")
            break
        if int(match.group(1)) not in idea_ids:
            idea_ids.append(int(match.group(1)))
    if len(idea_ids) > 500:
        form.error("ideas", "A release can ship at most 500 ideas.")
    form.data["idea_ids"] = idea_ids
    return form
