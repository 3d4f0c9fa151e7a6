"""Discussions: categories, threads and replies, questions with an accepted answer."""

from ideas.discussions import forgetting, people_sections, queries, reply_queries, routes, search, tables
from portal.domains import Domain

domain = Domain(
    name="ideas.discussions",
    routes=routes.routes,
    tables=[tables],
    forget_hooks=[forgetting.forget_reactions, forgetting.forget_mentions],
    profile_sections=[people_sections.accepted_answers],
    welcome_sections=[people_sections.open_questions],
    activity_sources=[people_sections.replies_in_followed_threads],
    activity_links={"reply": people_sections.reply_link},
    hidden_checks={"thread": queries._thread_hidden},
    post_sources={"reply": reply_queries.shown_reply_sources},
    after_import=[search.rebuild_index],
)
