"""Moderation: flags, the queue, hiding and locking, suspensions, the public log, the code of conduct."""

from ideas.moderation import queries, routes, tables
from portal.domains import Domain
from portal.people.export import section

domain = Domain(
    name="ideas.moderation",
    routes=routes.routes,
    tables=[tables],
    forget_hooks=[queries.forget_suspended_member],
    export_sections={"flags": section(queries.export_flags, tables.flags.c.user_id)},
)
