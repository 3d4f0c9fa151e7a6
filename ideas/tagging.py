"""Tags on ideas: maintainers set them, lists filter by them (the SQL of tagging)."""

from typing import Any

import sqlalchemy as sa

from ideas.tables import idea_tags, ideas, tags
from portal.db import Database, utcnow
from portal.statements import kept


async def set_idea_tags(db: Database, idea_id: int, named: dict[str, str]) -> None:
    """Give the idea exactly these tags ({slug: name}), creating the ones that do not exist yet."""
    async with db.transaction():
        # Two maintainers saving tags at once take turns on the idea's row.
        await db.fetch_one(sa.select(ideas.c.id).where(ideas.c.id == idea_id).with_for_update(key_share=True))
        tag_ids = []
        for slug, name in named.items():
            await db.execute(db.insert(tags).values(slug=slug, name=name, created_at=utcnow()).on_conflict_do_nothing())
            tag_ids.append(await db.fetch_val(sa.select(tags.c.id).where(tags.c.slug == slug)))
        await db.execute(idea_tags.delete().where(idea_tags.c.idea_id == idea_id))
        if tag_ids:
            rows = [{"idea_id": idea_id, "tag_id": tag_id} for tag_id in tag_ids]
            await db.execute(db.insert(idea_tags).values(rows).on_conflict_do_nothing())


@kept
def _tags_of(idea_ids: list[int]) -> sa.Select:
    return (
        sa.select(idea_tags.c.idea_id, tags.c.slug, tags.c.name)
        .join(tags, tags.c.id == idea_tags.c.tag_id)
        .where(idea_tags.c.idea_id.in_(idea_ids))
        .order_by(tags.c.name)
    )


def tags_column(dialect_name: str) -> sa.Label:
    """The tags of the row's idea (ideas.c.id) as a JSON list of [slug, name], or None for none:
    one correlated lookup per row, in the statement that reads the ideas."""
    pair = (sa.func.json_build_array if dialect_name == "postgresql" else sa.func.json_array)(tags.c.slug, tags.c.name)
    found = (
        sa.select(json_list(dialect_name, pair))
        .select_from(idea_tags.join(tags, tags.c.id == idea_tags.c.tag_id))
        .where(idea_tags.c.idea_id == ideas.c.id)
        .scalar_subquery()
    )
    return sa.type_coerce(found, sa.JSON).label("tags")


def json_list(dialect_name: str, value: sa.ColumnElement) -> sa.ColumnElement:
    """The aggregate of `value` over a subquery's rows as a JSON list (NULL for no rows)."""
    if dialect_name == "postgresql":
        return sa.func.json_agg(value)
    return sa.func.nullif(sa.func.json_group_array(value), "[]")


def tag_pairs(value: list[list[str]] | None) -> tuple[tuple[str, str], ...]:
    """tags_column()'s value as (slug, name) pairs, by name."""
    return tuple(sorted(((slug, name) for slug, name in value or ()), key=lambda pair: pair[1]))


async def tags_of(db: Database, idea_ids: list[int]) -> dict[int, list[Any]]:
    """The tags of each idea, in one query."""
    if not idea_ids:
        return {}
    rows = await db.fetch_all(*_tags_of(idea_ids))
    found: dict[int, list[Any]] = {}
    for row in rows:
        found.setdefault(row["idea_id"], []).append(row)
    return found


async def get_tag_id(db: Database, slug: str) -> int | None:
    return await db.fetch_val(sa.select(tags.c.id).where(tags.c.slug == slug))


def tagged(tag_id: int) -> sa.ColumnElement:
    """A condition on ideas.c.id: the idea carries this tag."""
    return ideas.c.id.in_(sa.select(idea_tags.c.idea_id).where(idea_tags.c.tag_id == tag_id))
