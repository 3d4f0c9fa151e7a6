"""The webhook form: an address, the events wanted, a description."""

from collections.abc import Mapping
from typing import Any

from portal.forms import Form
from portal.netguard import UnsafeURL, check_url_shape
from portal.webhooks.tables import EVENTS


def event_field(event: str) -> str:
    return "event-" + event.replace(".", "-").replace("_", "-")


def parse_webhook(formdata: Mapping[str, Any], *, schemes: tuple[str, ...]) -> Form:
    """The address's shape is checked here; where its host resolves, by the caller (it takes DNS)."""
    form = Form.from_formdata(formdata)
    url = form.text("url", label="Address", max_length=2000)
    if url:
        try:
            check_url_shape(url, schemes=schemes)
        except UnsafeURL as error:
            form.error("url", str(error))
    form.text("description", label="Description", required=False, max_length=200)
    form.data["events"] = [event for event in EVENTS if form.raw.get(event_field(event)) == "on"]
    if not form.data["events"]:
        form.error("events", "Choose at least one event to send.")
    form.data["is_active"] = form.raw.get("is_active") == "on"
    return form


def webhook_values(webhook: Any) -> dict[str, str]:
    """What the form shows for a stored webhook."""
    values = {"url": webhook["url"], "description": webhook["description"]}
    values.update({event_field(event): "on" for event in webhook["events"] if event in EVENTS})
    if webhook["is_active"]:
        values["is_active"] = "on"
    return values
