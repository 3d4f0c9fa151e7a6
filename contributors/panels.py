"""What linked code adds to other domains' pages (page_panels in contributors/domain.py)."""

from typing import Any

from starlette.requests import Request

from contributors import queries
from portal.db import Database


async def code_of_idea(db: Database, request: Request, idea: Any) -> dict[str, Any]:
    """The idea's page: the commits linked to it and the extensions that implement it."""
    linked = await queries.code_linked_to_idea(db, idea["id"])
    return {
        "linked_commits": await queries.commits_for_idea(db, idea["id"]) if linked["has_commits"] else [],
        "implementing_extensions": (
            await queries.extensions_for_idea(db, idea["id"]) if linked["has_extensions"] else []
        ),
    }
