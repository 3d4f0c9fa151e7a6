"""What linked code adds to the people pages: on a member's profile their repositories, their
commits linked to ideas (matched by email, see README) and the ideas those commits helped ship;
in their data download, the repositories they linked."""

from typing import Any

import sqlalchemy as sa
from starlette.requests import Request

from contributors.queries import member_contributions
from contributors.tables import repositories
from portal.db import Database
from portal.people.export import plain, section


async def code_contributions(db: Database, request: Request, member: Any) -> dict[str, Any]:
    contributions = await member_contributions(db, member["id"])
    return {"contributions": contributions if any(contributions.values()) else None}


async def export_repositories(db: Database, user_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch_all(
        sa.select(repositories.c.url, repositories.c.kind, repositories.c.name)
        .where(repositories.c.owner_id == user_id)
        .order_by(repositories.c.id)
    )
    return [plain(row, "url", "kind", "name") for row in rows]


EXPORT_SECTIONS = {"repositories": section(export_repositories, repositories.c.owner_id)}

EXPORT_LEFT_OUT = {
    "repositories.ships_ideas_by_id": "a maintainer's switch on a repository linked for the whole site",
}
