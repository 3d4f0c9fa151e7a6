"""What changed between two roadmap publications (pure functions over their kept items)."""

from dataclasses import dataclass, field

COLUMN_LABELS = {"planned": "Planned", "in_progress": "In progress", "shipped": "Shipped"}


@dataclass
class Changes:
    added: list[dict] = field(default_factory=list)
    dropped: list[dict] = field(default_factory=list)
    moved: list[tuple[dict, dict]] = field(default_factory=list)  # (before, after): column or order
    dates: list[tuple[dict, dict]] = field(default_factory=list)  # (before, after): milestone or date
    notes: list[tuple[dict, dict]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.dropped or self.moved or self.dates or self.notes)


def compare(before: list[dict], after: list[dict]) -> Changes:
    old = {item["idea_id"]: item for item in before}
    new = {item["idea_id"]: item for item in after}
    changes = Changes()
    for idea_id, item in new.items():
        previous = old.get(idea_id)
        if previous is None:
            changes.added.append(item)
            continue
        if (previous["column"], previous["position"]) != (item["column"], item["position"]):
            changes.moved.append((previous, item))
        if (previous["milestone"], previous["target_date"]) != (item["milestone"], item["target_date"]):
            changes.dates.append((previous, item))
        if previous["note"] != item["note"]:
            changes.notes.append((previous, item))
    changes.dropped = [item for idea_id, item in old.items() if idea_id not in new]
    return changes
