"""Mail: the outbox every email goes through, and sending it."""

from datetime import timedelta

from portal.domains import Domain
from portal.jobs.runner import JobKind
from portal.mail import queries, routes, sender, tables

domain = Domain(
    name="portal.mail",
    routes=routes.routes,
    tables=[tables],
    jobs={
        "send-emails": JobKind(sender.send_emails, max_attempts=sender.MAX_ATTEMPTS, first_retry=timedelta(minutes=1))
    },
    forget_hooks=[queries.forget_author_of_emails],
)
