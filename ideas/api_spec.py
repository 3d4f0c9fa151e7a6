"""What ideas/api.py offers, declared once: the routes, the checks and the OpenAPI document come from here."""

from dataclasses import replace

from ideas import api, ranking
from ideas.forms import BODY_MAX, COMMENT_MAX, NOTE_MAX, TITLE_MAX
from ideas.routes_common import SEARCH_PAGE_SIZE, SEARCH_PAGES
from ideas.tables import STATUSES
from portal.api import WRITE, ApiSection, Field, Operation
from portal.openapi import BOOLEAN, INTEGER, MOMENT, STRING, array, nullable, obj, ref

SLUG_PATTERN = "^[a-z0-9][a-z0-9-]{0,63}$"
USERNAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_-]{2,31}$"
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_MOMENT = {"type": ["string", "null"], "format": "date-time"}
STATUS = {"type": "string", "enum": list(STATUSES)}

SCHEMAS = {
    "Author": obj(
        {"username": STRING, "display_name": STRING, "role": STRING, "is_founder": BOOLEAN},
        "A member as shown beside what they wrote; null once the account is gone.",
    ),
    "Tag": obj({"slug": STRING, "name": STRING}),
    "Idea": obj(
        {
            "id": INTEGER,
            "title": STRING,
            "body": {"type": "string", "description": "Markdown as written."},
            "body_html": {"type": "string", "description": "The body rendered and sanitized."},
            "status": STATUS,
            "board": obj({"slug": STRING, "name": STRING}),
            "author": nullable(ref("Author")),
            "vote_count": INTEGER,
            "comment_count": INTEGER,
            "tags": array(ref("Tag")),
            "merged_into_id": {"type": ["integer", "null"]},
            "voted": {"type": ["boolean", "null"], "description": "Whether you voted; null when not signed in."},
            "created_at": MOMENT,
            "updated_at": MOMENT,
            "edited_at": NULLABLE_MOMENT,
            "url": STRING,
        }
    ),
    "IdeaPage": obj({"ideas": array(ref("Idea")), "next_cursor": NULLABLE_STRING}),
    "Vote": obj({"idea_id": INTEGER, "voted": BOOLEAN, "vote_count": INTEGER}),
    "Comment": obj(
        {
            "id": INTEGER,
            "idea_id": INTEGER,
            "author": nullable(ref("Author")),
            "body": STRING,
            "body_html": STRING,
            "deleted": {"type": "boolean", "description": "A deleted comment keeps its place with no text."},
            "created_at": MOMENT,
            "edited_at": NULLABLE_MOMENT,
            "url": STRING,
        }
    ),
    "Thread": obj(
        {
            "id": INTEGER,
            "title": STRING,
            "category": obj({"slug": STRING, "name": STRING}),
            "author": nullable(ref("Author")),
            "reply_count": INTEGER,
            "answered": {
                "type": ["boolean", "null"],
                "description": "Whether a question has an accepted answer; null outside question categories.",
            },
            "created_at": MOMENT,
            "last_activity_at": MOMENT,
            "url": STRING,
        }
    ),
    "SearchResults": obj(
        {
            "ideas": array(ref("Idea")),
            "threads": array(ref("Thread")),
            "next_page": {"type": ["integer", "null"], "description": "The next page of results, or null."},
        }
    ),
    "CommentPage": obj({"comments": array(ref("Comment")), "next_cursor": NULLABLE_STRING}),
    "Board": obj(
        {
            "slug": STRING,
            "name": STRING,
            "description": STRING,
            "is_archived": BOOLEAN,
            "vote_budget": {"type": ["integer", "null"], "description": "Votes each member may spread; null: any."},
            "campaign_question": NULLABLE_STRING,
            "opens_at": NULLABLE_MOMENT,
            "closes_at": NULLABLE_MOMENT,
            "idea_count": INTEGER,
            "closed_reason": {"type": ["string", "null"], "description": "Why it takes no ideas or votes now."},
            "url": STRING,
        }
    ),
    "BoardList": obj({"boards": array(ref("Board"))}),
    "StatusList": obj(
        {"statuses": array(obj({"name": STATUS, "label": STRING, "takes_votes": BOOLEAN}))},
    ),
}

LIST_QUERY = (
    Field("sort", "string", "The order, as on the site.", enum=tuple(ranking.SORTS)),
    Field("status", "string", "Only ideas with this status.", enum=STATUSES),
    Field("board", "string", "Only ideas on this board (its address).", pattern=SLUG_PATTERN),
    Field("author", "string", "Only ideas by this member (username).", pattern=USERNAME_PATTERN),
    Field("tag", "string", "Only ideas with this tag (its address).", pattern=SLUG_PATTERN),
    api.CURSOR,
)
TITLE = Field("title", "string", "5 to 200 characters.", min_length=5, max_length=TITLE_MAX, example="Dark mode")
IDEA_BODY = Field("body", "string", "A description in Markdown.", max_length=BODY_MAX, example="For late evenings.")
IDEA_ID = (api.IDEA_ID,)

OPERATIONS = [
    Operation(
        "GET",
        "/api/v1/ideas",
        api.list_ideas,
        name="list_ideas",
        summary="List ideas",
        tag="Ideas",
        response="IdeaPage",
        description="Twenty ideas a page, in the same orders and with the same filters as the site.",
        query=LIST_QUERY,
    ),
    Operation(
        "POST",
        "/api/v1/ideas",
        api.create_idea,
        name="create_idea",
        summary="Share an idea",
        tag="Ideas",
        response="Idea",
        access=WRITE,
        status=201,
        body=(
            replace(TITLE, required=True),
            IDEA_BODY,
            Field("board", "string", "The board's address (default: general).", max_length=64, example="general"),
        ),
        errors=(),
        example_body={"title": "Dark mode", "body": "For late evenings.", "board": "general"},
    ),
    Operation(
        "GET",
        "/api/v1/search",
        api.search,
        name="search",
        summary="Search ideas and discussions",
        tag="Ideas",
        response="SearchResults",
        description=(
            "Ideas (title, description or comments) and discussion threads (title, first post or replies) "
            f"holding every word, best first, {SEARCH_PAGE_SIZE} of each a page; the last word also matches "
            "longer words it begins. Hidden ones are left out, and do not count towards a page, except for "
            "maintainers. next_page is the page to ask for next, or null after the last "
            f"(at most {SEARCH_PAGES} pages: the best {SEARCH_PAGES * SEARCH_PAGE_SIZE}; no page repeats another's)."
        ),
        query=(
            Field("q", "string", "The words to look for.", required=True, min_length=1, max_length=200),
            Field("page", "integer", "The page of results; 1 when not given.", minimum=1, maximum=SEARCH_PAGES),
        ),
    ),
    Operation(
        "GET",
        "/api/v1/ideas/{idea_id:id}",
        api.get_idea,
        name="get_idea",
        summary="One idea",
        tag="Ideas",
        response="Idea",
        path_params=IDEA_ID,
    ),
    Operation(
        "PATCH",
        "/api/v1/ideas/{idea_id:id}",
        api.edit_idea,
        name="edit_idea",
        summary="Edit an idea",
        tag="Ideas",
        response="Idea",
        access=WRITE,
        description="Authors may edit within the edit window; maintainers at any time, with a public note. "
        "Fields left out keep their value.",
        path_params=IDEA_ID,
        body=(
            TITLE,
            IDEA_BODY,
            Field("edit_note", "string", "A maintainer's reason, shown in the idea's history.", max_length=NOTE_MAX),
        ),
        example_body={"title": "Dark mode for the editor"},
    ),
    Operation(
        "PUT",
        "/api/v1/ideas/{idea_id:id}/vote",
        api.vote,
        name="vote",
        summary="Vote for an idea",
        tag="Votes",
        response="Vote",
        access=WRITE,
        description="Idempotent: voting again changes nothing. Boards with a budget count your votes.",
        path_params=IDEA_ID,
        errors=(409,),
    ),
    Operation(
        "DELETE",
        "/api/v1/ideas/{idea_id:id}/vote",
        api.unvote,
        name="unvote",
        summary="Take a vote back",
        tag="Votes",
        response="Vote",
        access=WRITE,
        description="Idempotent: taking back a vote you did not cast changes nothing.",
        path_params=IDEA_ID,
        errors=(409,),
    ),
    Operation(
        "POST",
        "/api/v1/ideas/{idea_id:id}/status",
        api.change_status,
        name="change_status",
        summary="Change an idea's status (maintainers)",
        tag="Ideas",
        response="Idea",
        access=WRITE,
        description="The note is shown in public on the idea's timeline.",
        path_params=IDEA_ID,
        body=(
            Field("status", "string", "The new status (merging marks duplicates).", required=True, enum=STATUSES),
            Field("note", "string", "Why, in Markdown.", required=True, max_length=NOTE_MAX, example="Next sprint."),
        ),
        errors=(409,),
        example_body={"status": "planned", "note": "We start on it next sprint."},
    ),
    Operation(
        "GET",
        "/api/v1/ideas/{idea_id:id}/comments",
        api.list_comments,
        name="list_comments",
        summary="An idea's comments",
        tag="Comments",
        response="CommentPage",
        description="A hundred comments a page, oldest first.",
        path_params=IDEA_ID,
        query=(api.CURSOR,),
    ),
    Operation(
        "POST",
        "/api/v1/ideas/{idea_id:id}/comments",
        api.add_comment,
        name="add_comment",
        summary="Comment on an idea",
        tag="Comments",
        response="Comment",
        access=WRITE,
        status=201,
        path_params=IDEA_ID,
        body=(Field("body", "string", "Markdown.", required=True, max_length=COMMENT_MAX, example="Yes please!"),),
        errors=(409,),
        example_body={"body": "Yes please!"},
    ),
    Operation(
        "GET",
        "/api/v1/boards",
        api.list_boards,
        name="list_boards",
        summary="List boards",
        tag="Boards",
        response="BoardList",
        query=(Field("archived", "string", "`true` to include archived boards.", enum=("true", "false")),),
    ),
    Operation(
        "GET",
        "/api/v1/boards/{slug:slug}",
        api.get_board,
        name="get_board",
        summary="One board",
        tag="Boards",
        response="Board",
        path_params=(api.BOARD_SLUG,),
    ),
    Operation(
        "GET",
        "/api/v1/statuses",
        api.list_statuses,
        name="list_statuses",
        summary="The statuses an idea can have",
        tag="Statuses",
        response="StatusList",
    ),
]

section = ApiSection(operations=OPERATIONS, schemas=SCHEMAS)
