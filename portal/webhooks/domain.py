"""Webhooks: an admin's subscriptions to the site's events, delivered and retried as jobs."""

from datetime import timedelta

from portal.domains import Domain
from portal.jobs.runner import JobKind
from portal.webhooks import delivery, queries, routes, tables

domain = Domain(
    name="portal.webhooks",
    routes=routes.routes,
    tables=[tables],
    jobs={queries.DELIVERY_JOB: JobKind(delivery.deliver, max_attempts=6, first_retry=timedelta(seconds=30))},
)
