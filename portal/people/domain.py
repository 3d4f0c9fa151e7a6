"""People: profiles, the directory, the welcome page and activity feed (whose sections the
domains give), and a member's own data: the download and deleting the account."""

from portal.domains import Domain
from portal.people import activity, community_routes, data_routes, export, queries, routes, tables
from portal.people.routes import avatar_src

domain = Domain(
    name="portal.people",
    routes=[*routes.routes, *community_routes.routes, *data_routes.routes],
    tables=[tables],
    template_globals={"avatar_src": avatar_src, "activity_link": activity.activity_link},
    forget_hooks=[queries.forget_expertise],
    export_sections=export.SECTIONS,
    export_left_out=export.LEFT_OUT,
)
