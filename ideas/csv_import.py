"""Reading ideas, votes and comments from another tool's CSV export, every row checked first.

A file is read whole and checked before anything is written: every bad row is reported with
its line number, and one bad row means nothing is imported. The columns are in README.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ideas.forms import BODY_MAX, COMMENT_MAX, TITLE_MAX
from ideas.tables import STATUSES
from portal.accounts.forms import EMAIL
from portal.forms import clean_value

COLUMNS = {
    "ideas": {
        "required": ("external_id", "title", "author_email"),
        "optional": ("body", "board", "status", "created_at"),
    },
    "votes": {"required": ("idea_external_id", "voter_email"), "optional": ("created_at",)},
    "comments": {"required": ("idea_external_id", "author_email", "body"), "optional": ("created_at",)},
}
KINDS = tuple(COLUMNS)
MAX_ROWS = 100_000
MAX_ERRORS_SHOWN = 50


class CSVRefused(Exception):
    """The file cannot be imported; `problems` says why, line by line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Parsed:
    kind: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def problem(self, line: int, message: str) -> None:
        self.problems.append(f"line {line}: {message}")


def parse_moment(value: str) -> datetime:
    """2026-11-22, 2026-11-22 14:05, 2026-11-22T14:05:00Z or with an offset; no offset means UTC."""
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not 1990 <= moment.year <= 9000:
        raise ValueError(value)
    return moment.astimezone(UTC)


def parse_csv(data: bytes, kind: str) -> Parsed:
    """The file's rows, cleaned, with every problem found (database look-ups come later)."""
    parsed = Parsed(kind)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CSVRefused([f"The file is not UTF-8 text (byte {error.start}); save it as CSV UTF-8."]) from None
    reader = csv.reader(io.StringIO(clean_value(text), newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise CSVRefused(["The file is empty: it needs a header line naming its columns."]) from None
    except csv.Error as error:
        raise CSVRefused([f"line 1: {error}"]) from None
    spec = COLUMNS[kind]
    known = spec["required"] + spec["optional"]
    missing = [name for name in spec["required"] if name not in header]
    unknown = [name for name in header if name not in known]
    if missing or unknown or len(set(header)) != len(header):
        problems = [f"line 1: missing column {name}" for name in missing]
        problems += [f"line 1: unknown column {name!r}" for name in unknown]
        if len(set(header)) != len(header):
            problems.append("line 1: a column is named twice")
        raise CSVRefused([*problems, f"The columns of a {kind} file are: {', '.join(known)} (any order)."])
    line = reader.line_num
    while True:
        start = line + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise CSVRefused([*parsed.problems, f"line {start}: {error}"]) from None
        line = reader.line_num
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(header):
            parsed.problem(start, f"expected {len(header)} values, found {len(values)}")
            continue
        if len(parsed.rows) >= MAX_ROWS:
            raise CSVRefused([f"The file has more than {MAX_ROWS} rows; split it."])
        row = {name: value.strip() for name, value in zip(header, values, strict=True)}
        row["line"] = start
        if _check_row(parsed, kind, row):
            parsed.rows.append(row)
    _check_repeats(parsed)
    if not parsed.rows and not parsed.problems:
        raise CSVRefused(["The file has its header line but no rows."])
    return parsed


def _check_row(parsed: Parsed, kind: str, row: dict[str, Any]) -> bool:
    line = row["line"]
    before = len(parsed.problems)
    for name in COLUMNS[kind]["required"]:
        if not row[name]:
            parsed.problem(line, f"{name} is empty")
    for name in ("author_email", "voter_email"):
        if row.get(name):
            row[name] = row[name].lower()
            if len(row[name]) > 254 or not EMAIL.match(row[name]):
                parsed.problem(line, f"{name} {row[name]!r} is not an email address")
    for name in ("external_id", "idea_external_id"):
        if len(row.get(name) or "") > 200:
            parsed.problem(line, f"{name} is longer than 200 characters")
    limits = {"title": TITLE_MAX, "body": COMMENT_MAX if kind == "comments" else BODY_MAX}
    for name, limit in limits.items():
        if len(row.get(name) or "") > limit:
            parsed.problem(line, f"{name} is longer than {limit} characters")
    if kind == "ideas":
        row["title"] = " ".join(row["title"].split())
        status = (row.get("status") or "open").lower().replace(" ", "_")
        if status not in STATUSES or status == "duplicate":
            choices = ", ".join(s for s in STATUSES if s != "duplicate")
            parsed.problem(line, f"status {row['status']!r} is not one of {choices}")
        row["status"] = status
    if row.get("created_at"):
        try:
            row["created_at"] = parse_moment(row["created_at"])
        except ValueError:
            parsed.problem(line, f"created_at {row['created_at']!r} is not a date like 2026-11-22 or 2026-11-22T14:05Z")
    else:
        row["created_at"] = None
    return len(parsed.problems) == before


def _check_repeats(parsed: Parsed) -> None:
    key = {"ideas": ("external_id",), "votes": ("idea_external_id", "voter_email")}.get(parsed.kind)
    if key is None:
        return
    first: dict[tuple, int] = {}
    for row in parsed.rows:
        identity = tuple(row[name] for name in key)
        if identity in first:
            parsed.problem(row["line"], f"repeats line {first[identity]} ({', '.join(key)} {', '.join(identity)})")
        else:
            first[identity] = row["line"]
