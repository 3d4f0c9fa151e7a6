"""The email settings form: one choice per kind of notification, and all email off."""

from collections.abc import Mapping
from typing import Any

from portal.forms import Form
from portal.notifications.preferences import DELIVERY_LABELS, kind_label
from portal.notifications.tables import DELIVERIES, KINDS


def field_name(kind: str) -> str:
    return f"email_{kind}"


def parse_email_preferences(formdata: Mapping[str, Any]) -> Form:
    form = Form.from_formdata(formdata)
    choices = {}
    for kind in KINDS:
        name = field_name(kind)
        value = form.raw.get(name, "")
        if value not in DELIVERIES:
            options = ", ".join(f"“{DELIVERY_LABELS[delivery]}”" for delivery in DELIVERIES)
            form.error(name, f"Choose how to hear about {kind_label(kind).lower()}: {options}.")
            continue
        choices[kind] = value
    form.data["choices"] = choices
    form.data["emails_off"] = form.raw.get("emails_off") == "on"
    return form
