"""What the idea and board endpoints share: authorization and look-ups that answer 403 or 404."""

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request

from ideas import board_queries


def require_maintainer(request: Request) -> None:
    if not request.user.is_authenticated or not request.user.is_maintainer:
        raise HTTPException(403, "Only maintainers can do this.")


async def get_board_or_404(request: Request, slug: str) -> Any:
    try:
        return await board_queries.get_board_by_slug(request.app.state.db, slug)
    except board_queries.BoardNotFound:
        raise HTTPException(404, "There is no board at that address.") from None


def follow_choice(formdata: Any) -> bool:
    choice = formdata.get("follow")
    if choice not in ("0", "1"):
        raise HTTPException(400, "Say follow=1 to follow or follow=0 to stop.")
    return choice == "1"
