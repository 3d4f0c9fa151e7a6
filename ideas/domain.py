"""Ideas: boards, ideas, votes, comments, reactions, following, search and feeds."""

from ideas import (
    api_spec,
    cli,
    comment_queries,
    export,
    forgetting,
    list_links,
    people_queries,
    people_sections,
    queries,
    routes,
    rows,
    search,
    tables,
)
from ideas.forms import STATUS_LABELS
from portal.domains import Domain

domain = Domain(
    name="ideas",
    routes=routes.routes,
    api_sections=[api_spec.section],
    cli_commands=[cli.import_csv_command],
    tables=[tables],
    template_globals={
        "idea_rows": rows.idea_rows,
        "idea_head": rows.idea_head,
        "idea_list_head": rows.idea_list_head,
        "comment_rows": rows.comment_rows,
        "list_url": list_links.list_url,
        "list_form": list_links.list_form,
        "idea_statuses": STATUS_LABELS,
    },
    forget_hooks=[forgetting.forget_votes, forgetting.forget_reactions, forgetting.forget_mentions],
    export_sections=export.SECTIONS,
    export_left_out=export.LEFT_OUT,
    profile_sections=[people_sections.ideas_on_profile],
    welcome_sections=[people_sections.popular_ideas],
    activity_sources=[people_queries.idea_activity],
    activity_links=people_queries.ACTIVITY_LINKS,
    hidden_checks={"idea": queries.idea_hidden},
    post_sources={"comment": comment_queries.shown_comment_sources},
    after_import=[search.rebuild_index],
)
