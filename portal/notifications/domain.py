"""Notifications: the bell, the member's choices, and the emails that carry them."""

from datetime import timedelta

from portal.domains import Domain
from portal.jobs.runner import JobKind
from portal.notifications import delivery, routes, settings_routes, tables

domain = Domain(
    name="portal.notifications",
    routes=[*routes.routes, *settings_routes.routes],
    tables=[tables],
    jobs={
        "notification-emails": JobKind(delivery.send_notification_emails, first_retry=timedelta(minutes=1)),
        "email-digest": JobKind(delivery.send_digest, first_retry=timedelta(minutes=5)),
    },
)
