"""Roadmap: what is planned, in progress and shipped, milestones, releases and publications."""

from portal.domains import Domain
from roadmap import api, export, routes, rows, tables

domain = Domain(
    name="roadmap",
    routes=routes.routes,
    api_sections=[api.section],
    tables=[tables],
    template_globals={"roadmap_rows": rows.roadmap_rows},
    export_sections=export.SECTIONS,
    export_left_out=export.LEFT_OUT,
)
