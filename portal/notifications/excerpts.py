"""The words an email about a comment or reply carries: the post its notification is about,
read from its Markdown source as plain text, and shortened past a limit."""

from collections.abc import Mapping

from portal.db import Database
from portal.domains import PostSource
from portal.markdown import render_text

EXCERPT_LIMIT = 1500  # characters of text; a longer post ends in "…" and a link to the rest


async def sources_of(
    db: Database, posts: list[tuple[str | None, int | None]], post_sources: Mapping[str, PostSource]
) -> dict[tuple[str, int], str]:
    """The Markdown source of each post (post_kind, post_id) still shown, by (kind, id).

    `post_sources` (the domains' `post_sources`): per kind of post ("comment", "reply"), given ids,
    the source of those posts still shown (neither deleted nor hidden since); the others are left out."""
    wanted: dict[str, set[int]] = {}
    for kind, post_id in posts:
        if kind in post_sources and post_id is not None:
            wanted.setdefault(kind, set()).add(post_id)
    sources = {}
    for kind, ids in wanted.items():
        for post_id, source in (await post_sources[kind](db, sorted(ids))).items():
            sources[kind, post_id] = source
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
