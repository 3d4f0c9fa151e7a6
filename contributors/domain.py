"""Contributors: linked git repositories, commits linked to ideas, extensions, and who made them."""

from contributors import api, cli, panels, people_sections, queries, routes, sync, tables
from contributors.sync import SCHEDULE_JOB
from portal.domains import Domain
from portal.jobs.runner import JobKind

domain = Domain(
    name="contributors",
    routes=routes.routes,
    api_sections=[api.section],
    tables=[tables],
    jobs={
        queries.SYNC_JOB: JobKind(sync.sync_job, max_attempts=1),
        SCHEDULE_JOB: JobKind(sync.schedule_job, max_attempts=1),
    },
    cli_commands=[cli.repos],
    profile_sections=[people_sections.code_contributions],
    export_sections=people_sections.EXPORT_SECTIONS,
    export_left_out=people_sections.EXPORT_LEFT_OUT,
    page_panels={"idea": [panels.code_of_idea]},
)
