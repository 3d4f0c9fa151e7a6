"""The extension metadata file, `roundtable-extension.toml`, and the README: read, checked, rendered.

The file sits at the root of the extension's default branch:

    name = "Slack notifier"
    summary = "Posts new ideas to a Slack channel."
    license = "MIT"
    keywords = ["slack", "notifications"]
    works_with = ">=1.0, <2"
    implements = [42, 57]        # idea numbers on this portal

`name` and `summary` are required; everything else is optional. Anything wrong becomes a warning shown on
the extension's page, in words its author can act on; the parts that are right are still used.
"""

import html
import tomllib
from dataclasses import dataclass, field
from typing import Any

from contributors.git import METADATA_FILE, RootFile
from portal.markdown import render_markdown

FIELDS = {"name", "summary", "license", "keywords", "works_with", "implements"}
MAX_KEYWORDS = 10
MAX_IMPLEMENTS = 50


@dataclass
class Metadata:
    values: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def idea_ids(self) -> list[int]:
        return self.values.get("implements", [])


def _text(metadata: Metadata, data: dict, key: str, limit: int, *, required: bool = False) -> None:
    value = data.get(key)
    if value is None:
        if required:
            metadata.warnings.append(f'{METADATA_FILE} has no `{key}`; add {key} = "...".')
        return
    if not isinstance(value, str) or not value.strip():
        metadata.warnings.append(f"`{key}` in {METADATA_FILE} must be a non-empty string.")
    elif len(value) > limit:
        metadata.warnings.append(f"`{key}` in {METADATA_FILE} is longer than {limit} characters; it was cut.")
        metadata.values[key] = value.strip()[:limit]
    else:
        metadata.values[key] = " ".join(value.split())


def parse_metadata(file: RootFile) -> Metadata:
    metadata = Metadata()
    if file.note:
        metadata.warnings.append(file.note)
        return metadata
    if file.text is None:
        metadata.warnings.append(
            f"There is no {METADATA_FILE} at the root of the default branch, so this extension has no name, "
            "summary or list of ideas it implements. See the help page for its format."
        )
        return metadata
    try:
        data = tomllib.loads(file.text)
    except tomllib.TOMLDecodeError as error:
        metadata.warnings.append(f"{METADATA_FILE} is not valid TOML: {error}.")
        return metadata
    _text(metadata, data, "name", 80, required=True)
    _text(metadata, data, "summary", 300, required=True)
    _text(metadata, data, "license", 80)
    _text(metadata, data, "works_with", 80)
    keywords = data.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(word, str) for word in keywords):
        metadata.warnings.append(f"`keywords` in {METADATA_FILE} must be a list of strings.")
    else:
        metadata.values["keywords"] = [word.strip()[:40] for word in keywords if word.strip()][:MAX_KEYWORDS]
    implements = data.get("implements", [])
    ids: list[int] = []
    if not isinstance(implements, list):
        metadata.warnings.append(f"`implements` in {METADATA_FILE} must be a list of idea numbers, like [42, 57].")
    else:
        for item in implements[:MAX_IMPLEMENTS]:
            if isinstance(item, str) and item.lower().startswith("idea-") and item[5:].isdigit():
                item = int(item[5:])
            if isinstance(item, int) and not isinstance(item, bool) and 0 < item < 10**15:
                ids.append(item)
            else:
                metadata.warnings.append(f"`implements` holds {str(item)[:40]!r}, which is not an idea number.")
    metadata.values["implements"] = sorted(set(ids))
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        metadata.warnings.append(f"{METADATA_FILE} has keys this portal does not know: {', '.join(unknown)[:200]}.")
    return metadata


def render_readme(file: RootFile) -> tuple[str | None, str | None]:
    """The README as sanitized HTML, or a note saying why it is not shown."""
    if file.note or file.text is None:
        return None, file.note
    if file.name and file.name.lower().endswith((".md", ".markdown")):
        return render_markdown(file.text), None
    return f'<pre tabindex="0">{html.escape(file.text)}</pre>', None
