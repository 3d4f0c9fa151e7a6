"""What linked code adds to a member's profile: their repositories, their commits linked to
ideas (matched by email, see README) and the ideas those commits helped ship."""

from typing import Any

from starlette.requests import Request

from contributors.queries import member_contributions
from portal.db import Database


async def code_contributions(db: Database, request: Request, member: Any) -> dict[str, Any]:
    contributions = await member_contributions(db, member["id"])
    return {"contributions": contributions if any(contributions.values()) else None}
