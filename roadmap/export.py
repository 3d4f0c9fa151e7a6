"""What the member's data download holds of the roadmap (export_sections in roadmap/domain.py;
see portal/people/export.py): whether they follow it, inside the ideas' "following" section."""

import sqlalchemy as sa

from portal.db import Database
from portal.people.export import section
from roadmap.tables import roadmap_follows


async def export_roadmap_following(db: Database, user_id: int) -> bool:
    return bool(await db.fetch_val(sa.select(sa.func.count()).where(roadmap_follows.c.user_id == user_id)))


SECTIONS = {"following.roadmap": section(export_roadmap_following, roadmap_follows.c.user_id)}

LEFT_OUT = {
    "roadmap_publications.published_by_id": "publishing the roadmap, a maintainer's act for the whole site",
}
