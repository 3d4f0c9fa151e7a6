"""What linked code adds to a member's profile: their repositories, their commits linked to
ideas (matched by email, see README) and the ideas those commits helped ship."""

from typing import Any

from contributors.queries import member_contributions
from portal.db import Database
from portal.people.queries import PROFILE_SECTIONS


async def code_contributions(db: Database, member: Any) -> dict[str, Any]:
    contributions = await member_contributions(db, member["id"])
    return {"contributions": contributions if any(contributions.values()) else None}


PROFILE_SECTIONS.append(code_contributions)
