"""Checks every domain makes before a member takes part (posts, votes, reacts, flags)."""

from starlette.exceptions import HTTPException
from starlette.requests import Request


def refuse_if_suspended(request: Request) -> None:
    """A suspended member sees why and until when, and nothing is written."""
    user = request.user
    if user.is_authenticated and user.is_suspended:
        until = f"{user.suspended_until:%Y-%m-%d %H:%M} UTC"
        raise HTTPException(
            403,
            f"Your account is suspended until {until}, so you cannot post, vote, react or flag. "
            f"The reason given: {user.suspension_reason}",
        )
