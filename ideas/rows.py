"""Idea rows and comments, rendered once for what they show (portal.memo)."""

from datetime import datetime
from typing import Any

from jinja2 import pass_context
from markupsafe import Markup

from ideas.forms import ListQuery
from ideas.list_links import without_cursor
from ideas.posts import author_may_edit
from ideas.tables import REACTIONS
from ideas.tagging import tag_pairs
from portal.db import utcnow
from portal.memo import PartMemo, RowMemo
from portal.templating import duration, time_ago

_idea_rows = RowMemo(
    "ideas/_idea_row.html",
    (
        "id",
        "title",
        "status",
        "vote_count",
        "comment_count",
        "created_at",
        "hidden_at",
        "hidden_reason",
        "board_slug",
        "board_name",
        "author_username",
        "author_display_name",
        "author_role",
        "author_is_founder",
    ),
    computed=("voted", "ago", "idea_tags"),
)


@pass_context
def idea_rows(context: Any, rows: list[Any], next_path: str, query: ListQuery | None = None) -> Markup:
    """Rows from queries.list_ideas(summary=True) or ideas_by_ids(summary=True): with their tags and the vote.

    `query`: the filters of the list the rows are in, which their tag and board links keep.
    """
    now = utcnow()

    def per_row(row: Any) -> tuple:
        return (bool(row.get("voted")), time_ago(row["created_at"], now), tag_pairs(row["tags"]))

    page = {
        "next": next_path,
        "board": context.get("board") is not None,
        "list_query": without_cursor(query) if query is not None else None,
    }
    return _idea_rows.render(context, rows, page, per_row, {"statuses": context["statuses"]})


_list_head = PartMemo("ideas/_idea_list_head.html")


@pass_context
def idea_list_head(context: Any, query: Any) -> Markup:
    return _list_head.render(context, {"query": query}, {"sorts": context["sorts"], "statuses": context["statuses"]})


_comments = RowMemo(
    "ideas/_comment.html",
    (
        "id",
        "created_at",
        "edited_at",
        "edited_by_id",
        "deleted_at",
        "hidden_at",
        "hidden_reason",
        "author_username",
        "author_display_name",
        "author_role",
        "author_is_founder",
        "body_html",
        "reaction_counts",
    ),
    computed=("ago", "deleted_ago", "mine", "own", "editable"),
    json_fields=("reaction_counts",),
)


@pass_context
def comment_rows(context: Any, rows: list[Any], edit_until: datetime) -> Markup:
    """Comments from comment_queries.idea_page(), with the member's reactions when signed in."""
    user = context.get("current_user")
    user_id = None if user is None else user.id
    now = utcnow()

    def per_row(row: Any) -> tuple:
        own = user_id is not None and user_id == row["author_id"]
        created, deleted, mine = row["created_at"], row["deleted_at"], row.get("my_reactions")
        return (
            time_ago(created, now),
            time_ago(deleted, now) if deleted is not None else None,
            tuple(sorted(mine)) if mine else (),
            own,
            author_may_edit(row, user_id, edit_until),
        )

    page = {"moderator": user is not None and user.is_maintainer}
    return _comments.render(context, rows, page, per_row, {"reactions": REACTIONS})


_idea_heads = RowMemo(
    "ideas/_idea_head.html",
    (
        "id",
        "title",
        "status",
        "vote_count",
        "created_at",
        "edited_at",
        "hidden_at",
        "merged_into_id",
        "body_html",
        "reaction_counts",
        "board_slug",
        "board_name",
        "vote_budget",
        "author_username",
        "author_display_name",
        "author_role",
        "author_is_founder",
    ),
    computed=("ago", "editable", "voted", "following", "mine", "votes_left", "responded_after", "waiting", "idea_tags"),
    json_fields=("reaction_counts",),
    maxsize=1024,
)


@pass_context
def idea_head(context: Any, idea: Any, votes_left: int | None, edit_until: datetime) -> Markup:
    """The idea at the top of its page, from comment_queries.idea_page(): what a member sees of it, their
    vote, reactions and follow, and what is left of the board's vote budget (`votes_left`)."""
    user = context.get("current_user")
    now = utcnow()
    created, responded = idea["created_at"], idea["first_response_at"]
    viewed = (
        time_ago(created, now),
        user is not None and (user.is_maintainer or author_may_edit(idea, user.id, edit_until)),
        bool(idea.get("voted")),
        bool(idea.get("following")),
        tuple(sorted(idea.get("my_reactions") or ())),
        votes_left,
        duration(responded - created) if responded is not None else None,
        duration(now - created) if responded is None and idea["status"] != "duplicate" else None,
        tag_pairs(idea["tags"]),
    )
    constants = {"statuses": context["statuses"], "reactions": REACTIONS}
    return _idea_heads.render(context, [idea], {}, lambda _: viewed, constants)
