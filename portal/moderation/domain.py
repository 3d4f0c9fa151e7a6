"""Moderation: flags, the queue, hiding and locking, suspensions, the public log, the code of conduct."""

from portal.domains import Domain
from portal.moderation import queries, routes, tables

domain = Domain(
    name="portal.moderation",
    routes=routes.routes,
    tables=[tables],
    forget_hooks=[queries.forget_suspended_member],
)
