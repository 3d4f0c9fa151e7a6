"""Flag, moderation action, suspension and code-of-conduct input, checked field by field."""

from collections.abc import Mapping
from typing import Any

from ideas.moderation.tables import TARGET_KINDS
from portal.forms import Form

REASON_MAX = 2000
NOTE_MAX = 5000
CODE_MAX = 50000
POST_ACTIONS = {
    "hide": "Hide (a placeholder with your note shows in its place)",
    "restore": "Restore (show it again)",
    "lock": "Lock (no new replies or comments)",
    "unlock": "Unlock",
    "move": "Move (a thread to another category, an idea to another board)",
    "dismiss": "Dismiss the flags (nothing wrong here)",
}


def parse_target(params: Mapping[str, Any]) -> tuple[str, int] | None:
    """(kind, id) from a query string or form, or None when they do not name a post."""
    kind, raw = params.get("kind"), params.get("id")
    if kind not in TARGET_KINDS or not isinstance(raw, str):
        return None
    if not (raw.isascii() and raw.isdecimal() and 0 < len(raw) <= 18) or int(raw) == 0:
        return None
    return kind, int(raw)


def parse_flag(formdata: Mapping[str, Any]) -> Form:
    form = Form.from_formdata(formdata)
    form.text("reason", label="The reason", min_length=5, max_length=REASON_MAX, multiline=True)
    return form


def parse_action(formdata: Mapping[str, Any]) -> Form:
    form = Form.from_formdata(formdata)
    action = form.raw.get("action", "")
    if action not in POST_ACTIONS:
        form.error("action", "Choose one of the actions in the list.")
    form.data["action"] = action
    form.text("note", label="A public note", max_length=NOTE_MAX, multiline=True)
    form.data["destination"] = form.raw.get("destination", "")
    if action == "move" and not form.data["destination"]:
        form.error("destination", "Choose where to move it.")
    return form


def parse_suspension(formdata: Mapping[str, Any]) -> Form:
    form = Form.from_formdata(formdata)
    lift = form.raw.get("lift") == "1"
    form.data["lift"] = lift
    if not lift:
        form.data["days"] = form.whole_number("days", label="Days", minimum=1, maximum=3650)
        if form.data["days"] is None and "days" not in form.errors:
            form.error("days", "Days is required: how long the suspension lasts.")
    form.text("note", label="A public note", max_length=NOTE_MAX, multiline=True)
    return form


def parse_code_of_conduct(formdata: Mapping[str, Any]) -> Form:
    form = Form.from_formdata(formdata)
    form.text("body", label="The code of conduct", min_length=20, max_length=CODE_MAX, multiline=True)
    form.text("note", label="What changed and why", max_length=NOTE_MAX, multiline=True)
    return form
