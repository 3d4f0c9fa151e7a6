"""Roadmap, milestone and release input, checked field by field."""

import re
from collections.abc import Mapping
from typing import Any

from portal.forms import Form
from portal.markdown import render_markdown
from roadmap.tables import COLUMNS

_IDEA_REFERENCE = re.compile(r"#?([1-9][0-9]{0,17})")
VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,39}$")


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
    form.data["position"] = form.whole_number("position", label="Position", minimum=0, maximum=10000, default=0)
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
    form.data["target_date"] = form.day("target_date", label="Target date", required=True)
    form.text("description", label="Description", required=False, max_length=2000, multiline=True)
    return form


def parse_release(formdata: Mapping[str, Any]) -> Form:
    form = Form.from_formdata(formdata)
    version = form.text("version", label="Version", max_length=40)
    if version and "version" not in form.errors and not VERSION.match(version):
        form.error("version", "Use letters, digits, '.', '-', '+' or '_' (for example v2.3.0).")
    form.data["released_on"] = form.day("released_on", label="Release date", required=True)
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
