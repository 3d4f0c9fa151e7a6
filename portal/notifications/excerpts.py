"""The words an email about a comment or reply carries: the post its notification points at,
read from its Markdown source as plain text, and shortened past a limit."""

import re
from collections.abc import Mapping

from portal.db import Database
from portal.domains import PostSource
from portal.markdown import render_text

EXCERPT_LIMIT = 1500  # characters of text; a longer post ends in "…" and a link to the rest

_ANCHOR = re.compile(r"#([a-z]{1,20})-([0-9]{1,18})$")


def anchor_of(path: str) -> tuple[str, int] | None:
    match = _ANCHOR.search(path)
    return (match.group(1), int(match.group(2))) if match else None


async def sources_of(db: Database, paths: list[str], post_sources: Mapping[str, PostSource]) -> dict[str, str]:
    """The Markdown source of the post at each path that points at one still shown, by path.

    `post_sources` (the domains' `post_sources`): per anchor a notification's path can end in
    ("/ideas/12#comment-3", "/discussions/7#reply-9"), given ids, the source of those posts still
    shown (neither deleted nor hidden since); the others are left out."""
    wanted: dict[str, set[int]] = {}
    for path in paths:
        anchor = anchor_of(path)
        if anchor is not None and anchor[0] in post_sources:
            wanted.setdefault(anchor[0], set()).add(anchor[1])
    found = {kind: await post_sources[kind](db, sorted(ids)) for kind, ids in wanted.items()}
    sources = {}
    for path in paths:
        anchor = anchor_of(path)
        if anchor is not None and anchor[1] in found.get(anchor[0], {}):
            sources[path] = found[anchor[0]][anchor[1]]
    return sources


def excerpt(source: str, limit: int = EXCERPT_LIMIT) -> tuple[str, bool]:
    """The post as plain text, and whether it was shortened (at a word, within `limit` characters)."""
    text = render_text(source)
    if len(text) <= limit:
        return text, False
    cut = text[: limit - 1]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + "…", True
