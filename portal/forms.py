"""Small pieces every form shares: reading text fields and collecting errors by field."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

# C0 controls other than tab and newline, and DEL: never meaningful in a post, and
# PostgreSQL refuses NUL in text.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Lone surrogates (from odd charsets) cannot be stored or sent as UTF-8.
_UNUSABLE_CHARACTERS = re.compile(r"[\x00\ud800-\udfff]")


def is_urlencoded(content_type: str) -> bool:
    return content_type.partition(";")[0].strip().lower() == "application/x-www-form-urlencoded"


async def posted_fields(request: Request) -> Mapping[str, Any]:
    """A posted form's fields. A url-encoded one (a vote's) read from its body with the standard
    library, as Starlette's parser reads it (latin-1, then %-escapes as UTF-8; the last value of a
    name wins), at a fifth of the cost; any other (multipart) through Starlette."""
    if not is_urlencoded(request.headers.get("content-type", "")):
        return await request.form()
    return dict(parse_qsl((await request.body()).decode("latin-1"), keep_blank_values=True))


def clean_value(value: str) -> str:
    """A submitted value without the characters no database or page can hold."""
    return _UNUSABLE_CHARACTERS.sub("", value)


@dataclass
class Form:
    """What a person submitted, cleaned values, and one message per field at fault."""

    raw: dict[str, str]
    data: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_formdata(cls, formdata: Mapping[str, Any]) -> "Form":
        raw = {clean_value(key): clean_value(value) for key, value in formdata.items() if isinstance(value, str)}
        return cls(raw=raw)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def text(
        self,
        name: str,
        *,
        label: str,
        required: bool = True,
        min_length: int = 0,
        max_length: int,
        multiline: bool = False,
    ) -> str:
        """Read, clean and check one text field; records an error and returns "" if it is bad."""
        value = self.raw.get(name, "").replace("\r\n", "\n").replace("\r", "\n")
        value = _CONTROL_CHARACTERS.sub("", value)
        if not multiline:
            value = " ".join(value.split())
        value = value.strip()
        if not value:
            if required:
                self.errors[name] = f"{label} is required."
            self.data[name] = ""
            return ""
        if len(value) < min_length:
            self.errors[name] = f"{label} needs at least {min_length} characters."
        elif len(value) > max_length:
            self.errors[name] = f"{label} can be at most {max_length} characters (this has {len(value)})."
        self.data[name] = value
        return value

    def whole_number(
        self, name: str, *, label: str, minimum: int, maximum: int, default: int | None = None
    ) -> int | None:
        """An optional whole number within bounds; `default` when empty or wrong (wrong records an error)."""
        raw = self.raw.get(name, "").strip()
        if not raw:
            return default
        if not (raw.isascii() and raw.isdecimal()) or not minimum <= int(raw) <= maximum:
            self.error(name, f"{label} must be a whole number from {minimum} to {maximum}.")
            return default
        return int(raw)

    def day(self, name: str, *, label: str, required: bool = False) -> date | None:
        """A date written 2026-12-31, between the years 2000 and 9000."""
        raw = self.raw.get(name, "").strip()
        if not raw:
            if required:
                self.error(name, f"{label} is required.")
            return None
        try:
            day = datetime.strptime(raw, "%Y-%m-%d").date()
        except ValueError:
            self.error(name, f"{label} must be a date like 2026-12-31.")
            return None
        if not 2000 <= day.year <= 9000:
            self.error(name, f"{label} must be a date between the years 2000 and 9000.")
            return None
        return day

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)
