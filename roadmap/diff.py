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


def places(items: list[dict]) -> dict[int, int]:
    """Each idea's place in its column, counted from 1 as people count (positions are sort keys
    a maintainer types, from 0 and with gaps)."""
    placed: dict[int, int] = {}
    counts: dict[str, int] = {}
    for item in sorted(items, key=lambda item: (item["position"], item["idea_id"])):
        counts[item["column"]] = placed[item["idea_id"]] = counts.get(item["column"], 0) + 1
    return placed


def compare(before: list[dict], after: list[dict]) -> Changes:
    """The changes from `before` to `after`; a moved item carries its `place` in each.

    An item moved when its column changed, or its order among the items that stayed in that
    column did: an idea added above others, or leaving the column, does not move them.
    """
    old = {item["idea_id"]: item for item in before}
    new = {item["idea_id"]: item for item in after}
    stayed = {idea_id for idea_id in old.keys() & new.keys() if old[idea_id]["column"] == new[idea_id]["column"]}
    old_order = places([item for item in before if item["idea_id"] in stayed])
    new_order = places([item for item in after if item["idea_id"] in stayed])
    old_places, new_places = places(before), places(after)
    changes = Changes()
    for idea_id, item in new.items():
        previous = old.get(idea_id)
        if previous is None:
            changes.added.append(item)
            continue
        if previous["column"] != item["column"] or old_order[idea_id] != new_order[idea_id]:
            changes.moved.append(({**previous, "place": old_places[idea_id]}, {**item, "place": new_places[idea_id]}))
        if (previous["milestone"], previous["target_date"]) != (item["milestone"], item["target_date"]):
            changes.dates.append((previous, item))
        if previous["note"] != item["note"]:
            changes.notes.append((previous, item))
    changes.dropped = [item for idea_id, item in old.items() if idea_id not in new]
    return changes
