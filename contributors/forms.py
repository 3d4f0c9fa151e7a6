"""Reading what members submit about repositories: the link form and the list filters."""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from contributors.tables import KINDS
from portal.forms import Form

KIND_LABELS = {
    "contribution": "A contribution (a fork or branch with work for ideas)",
    "extension": "An extension",
    "product": "The product's own repository (maintainers only)",
}
PERIODS = {"30d": ("30 days", 30), "90d": ("90 days", 90), "year": ("a year", 365), "all": ("all time", None)}


def parse_link(formdata: Mapping[str, Any], *, is_maintainer: bool) -> Form:
    form = Form.from_formdata(formdata)
    form.text("url", label="The repository's address", max_length=2000)
    kind = form.raw.get("kind", "")
    if kind not in KINDS:
        form.error("kind", "Choose what kind of repository this is.")
    elif kind == "product" and not is_maintainer:
        form.error("kind", "Only maintainers can link the product's own repository.")
    form.data["kind"] = kind
    return form


def parse_period(value: str | None, now: datetime) -> tuple[str, datetime | None]:
    """The chosen period's key and its start (None: all time); an unknown value means 90 days."""
    key = value if value in PERIODS else "90d"
    days = PERIODS[key][1]
    return key, (now - timedelta(days=days) if days else None)


def parse_after(value: str | None) -> int | None:
    """A keyset cursor (an id); anything else starts from the first page."""
    if value and value.isascii() and value.isdecimal() and len(value) < 19:
        return int(value)
    return None
