"""Refusals a domain raises, each with the status and the message a person or a client reads.

Queries and endpoints raise them (`raise NotFound("There is no such release.")`, or a domain's
own subclass such as `IdeaNotFound(idea_id)` whose class carries the message); portal/app.py
turns every one into the error page, or the API's JSON error body, in one place. No endpoint
catches "not found" only to say 404.
"""


class DomainError(Exception):
    """Something the request asked for that cannot be done, and why.

    A subclass sets `status` and may set a default `message`; `message=` overrides it. Positional
    arguments are details for logs and tests (the id that was not found), never shown: str() of
    the error is its message.
    """

    status = 400
    message = "That cannot be done."

    def __init__(self, *details: object, message: str | None = None, field: str | None = None) -> None:
        super().__init__(*details)
        if message is not None:
            self.message = message
        self.field = field  # the API names the field of its body that is wrong

    def __str__(self) -> str:
        return self.message


class BadRequest(DomainError):
    status = 400


class Forbidden(DomainError):
    status = 403
    message = "You may not do this."


class NotFound(DomainError):
    status = 404
    message = "There is nothing at this address."


class Conflict(DomainError):
    """The thing exists but its state refuses the request (merged, shipped already)."""

    status = 409


class Closed(Conflict):
    """Closed to what was asked: a locked idea, a board outside its campaign, a shipped idea."""


class OverBudget(Conflict):
    """A board's vote budget is spent."""
