"""The JSON API of linked repositories and the commits linked to ideas: read-only, thin endpoints over
contributors/queries.py. Linking and syncing stay on the site, where the URL checks explain themselves."""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from contributors import queries
from ideas import queries as idea_queries
from portal.api import ApiError, ApiSection, Field, Operation, id_cursor, iso, json_of, path_id
from portal.openapi import BOOLEAN, INTEGER, MOMENT, STRING, array, obj, ref

PAGE = queries.PAGE
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_MOMENT = {"type": ["string", "null"], "format": "date-time"}


def repository_json(row: Any) -> dict[str, Any]:
    # Never the push-webhook secret, nor the owner's email.
    return {
        "id": row["id"],
        "url": row["url"],
        "kind": row["kind"],
        "web_url": row["web_url"],
        "name": row["name"],
        "summary": row["summary"],
        "owner": row["owner_username"],
        "commit_count": row["commit_count"],
        "latest_tag": row["latest_tag"],
        "last_sync_at": iso(row["last_sync_at"]),
        "last_sync_ok": row["last_sync_ok"],
        "last_sync_error": row["last_sync_error"],
        "page": f"/repos/{row['id']}",
    }


def commit_json(row: Any) -> dict[str, Any]:
    return {
        "sha": row["sha"],
        "author_name": row["author_name"],
        "authored_at": iso(row["authored_at"]),
        "subject": row["subject"],
        "branch": row["branch"],
        "release_tag": row["release_tag"],
        "implements": bool(row["implements"]),
        "repository_id": row["repository_id"],
        "web": row["web"],
    }


async def list_repositories(request: Request) -> Response:
    page = await queries.list_repositories(request.app.state.db, after=id_cursor(request))
    return json_of({"repositories": [repository_json(row) for row in page.rows], "next_cursor": page.next_cursor})


async def get_repository(request: Request) -> Response:
    row = await queries.get_repository(request.app.state.db, request.path_params["repository_id"])
    if row is None:
        raise ApiError(404, "There is no linked repository with that number.")
    return json_of(repository_json(row))


async def list_idea_commits(request: Request) -> Response:
    db = request.app.state.db
    idea = await idea_queries.get_idea(db, request.path_params["idea_id"])
    if idea["hidden_at"] is not None and not (request.user.is_authenticated and request.user.is_maintainer):
        raise ApiError(404, "There is no idea with that number.")
    rows = await queries.commits_for_idea(db, idea["id"], limit=PAGE)
    return json_of({"commits": [commit_json(row) for row in rows]})


SCHEMAS = {
    "Repository": obj(
        {
            "id": INTEGER,
            "url": STRING,
            "kind": {"type": "string", "enum": ["product", "contribution", "extension"]},
            "web_url": NULLABLE_STRING,
            "name": NULLABLE_STRING,
            "summary": NULLABLE_STRING,
            "owner": {"type": ["string", "null"], "description": "The username of who linked it."},
            "commit_count": INTEGER,
            "latest_tag": NULLABLE_STRING,
            "last_sync_at": NULLABLE_MOMENT,
            "last_sync_ok": {"type": ["boolean", "null"]},
            "last_sync_error": NULLABLE_STRING,
            "page": STRING,
        },
        "A git repository linked to the portal; Roundtable keeps a mirror and reads it itself.",
    ),
    "RepositoryPage": obj({"repositories": array(ref("Repository")), "next_cursor": NULLABLE_STRING}),
    "Commit": obj(
        {
            "sha": STRING,
            "author_name": STRING,
            "authored_at": MOMENT,
            "subject": STRING,
            "branch": STRING,
            "release_tag": {"type": ["string", "null"], "description": "The first release tag containing it."},
            "implements": BOOLEAN,
            "repository_id": INTEGER,
            "web": {"type": ["string", "null"], "description": "The commit's page on its host, when known."},
        }
    ),
    "CommitList": obj({"commits": array(ref("Commit"))}),
}

section = ApiSection(
    operations=[
        Operation(
            "GET",
            "/api/v1/repositories",
            list_repositories,
            name="api_list_repositories",
            summary="Linked repositories",
            tag="Repositories",
            response="RepositoryPage",
            description=f"Newest first, {PAGE} a page, with the outcome of each one's last sync.",
            query=(Field("after", "string", "The `next_cursor` of the previous page.", max_length=20),),
        ),
        Operation(
            "GET",
            "/api/v1/repositories/{repository_id:id}",
            get_repository,
            name="api_get_repository",
            summary="One linked repository",
            tag="Repositories",
            response="Repository",
            path_params=(path_id("repository_id", "The repository's number."),),
        ),
        Operation(
            "GET",
            "/api/v1/ideas/{idea_id:id}/commits",
            list_idea_commits,
            name="api_list_idea_commits",
            summary="Commits linked to an idea",
            tag="Repositories",
            response="CommitList",
            description=f"Newest first, at most {PAGE}: commits whose messages reference the idea.",
            path_params=(path_id("idea_id", "The idea's number."),),
        ),
    ],
    schemas=SCHEMAS,
)
