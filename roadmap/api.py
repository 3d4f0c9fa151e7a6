"""The JSON API of roadmap publications and releases: thin endpoints over roadmap/queries.py."""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from portal.api import ApiError, ApiSection, Field, Operation, id_cursor, iso, json_of, path_id
from portal.openapi import DAY, INTEGER, MOMENT, STRING, array, obj, ref
from portal.paging import id_text, page_of
from roadmap import queries
from roadmap.tables import COLUMNS

PUBLICATIONS_PAGE = 20
RELEASES_LIMIT = 50


def publication_json(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "summary": row["summary"],
        "summary_html": row["summary_html"],
        "publisher": row["publisher"],
        "published_at": iso(row["published_at"]),
        "items": [
            {
                "idea_id": item["idea_id"],
                "title": item["title"],
                "column": item["column"],
                "position": item["position"],
                "milestone": item["milestone"],
                "target_date": item["target_date"],
                "note": item["note"],
            }
            for item in row["items"]
        ],
        "url": f"/roadmap/publications/{row['id']}",
    }


async def list_publications(request: Request) -> Response:
    before = id_cursor(request)
    rows = await queries.list_publications(request.app.state.db, limit=PUBLICATIONS_PAGE + 1, before=before)
    page = page_of(rows, PUBLICATIONS_PAGE, id_text)
    return json_of({"publications": [publication_json(row) for row in page.rows], "next_cursor": page.next_cursor})


async def get_publication(request: Request) -> Response:
    row = await queries.get_publication(request.app.state.db, request.path_params["publication_id"])
    return json_of(publication_json(row))


def release_json(row: Any, shipped: list[Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "version": row["version"],
        "released_on": row["released_on"].isoformat(),
        "notes": row["notes"],
        "notes_html": row["notes_html"],
        "shipped_at": iso(row["shipped_at"]),
        "ideas": [
            {"id": idea["id"], "title": idea["title"], "vote_count": idea["vote_count"], "url": f"/ideas/{idea['id']}"}
            for idea in shipped
        ],
        "url": f"/releases/{row['id']}",
    }


async def list_releases(request: Request) -> Response:
    db = request.app.state.db
    rows = await queries.list_releases(db, limit=RELEASES_LIMIT)
    shipped = await queries.ideas_of_releases(db, [row["id"] for row in rows])
    return json_of({"releases": [release_json(row, shipped.get(row["id"], [])) for row in rows]})


async def get_release(request: Request) -> Response:
    db = request.app.state.db
    release = await queries.get_release(db, request.path_params["release_id"])
    if release["shipped_at"] is None and not (request.user.is_authenticated and request.user.is_maintainer):
        raise ApiError(404, "There is no such release.")
    shipped = await queries.ideas_of_releases(db, [release["id"]])
    return json_of(release_json(release, shipped.get(release["id"], [])))


NULLABLE_STRING = {"type": ["string", "null"]}
SCHEMAS = {
    "Publication": obj(
        {
            "id": INTEGER,
            "summary": STRING,
            "summary_html": STRING,
            "publisher": {"type": ["string", "null"], "description": "Who published it (display name)."},
            "published_at": MOMENT,
            "items": array(
                obj(
                    {
                        "idea_id": INTEGER,
                        "title": STRING,
                        "column": {"type": "string", "enum": list(COLUMNS)},
                        "position": INTEGER,
                        "milestone": NULLABLE_STRING,
                        "target_date": {"type": ["string", "null"], "format": "date"},
                        "note": STRING,
                    },
                    "An idea as the roadmap placed it when it was published.",
                )
            ),
            "url": STRING,
        }
    ),
    "PublicationPage": obj({"publications": array(ref("Publication")), "next_cursor": NULLABLE_STRING}),
    "Release": obj(
        {
            "id": INTEGER,
            "version": STRING,
            "released_on": DAY,
            "notes": STRING,
            "notes_html": STRING,
            "shipped_at": {"type": ["string", "null"], "format": "date-time"},
            "ideas": array(obj({"id": INTEGER, "title": STRING, "vote_count": INTEGER, "url": STRING})),
            "url": STRING,
        }
    ),
    "ReleaseList": obj({"releases": array(ref("Release"))}),
}

section = ApiSection(
    operations=[
        Operation(
            "GET",
            "/api/v1/roadmap/publications",
            list_publications,
            name="list_publications",
            summary="Roadmap publications",
            tag="Roadmap",
            response="PublicationPage",
            description=f"Newest first, {PUBLICATIONS_PAGE} a page; each keeps the roadmap as it was published.",
            query=(Field("after", "string", "The `next_cursor` of the previous page.", max_length=20),),
        ),
        Operation(
            "GET",
            "/api/v1/roadmap/publications/{publication_id:id}",
            get_publication,
            name="get_publication",
            summary="One roadmap publication",
            tag="Roadmap",
            response="Publication",
            path_params=(path_id("publication_id", "The publication's number."),),
        ),
        Operation(
            "GET",
            "/api/v1/releases",
            list_releases,
            name="list_releases",
            summary="Shipped releases",
            tag="Releases",
            response="ReleaseList",
            description=f"The {RELEASES_LIMIT} latest shipped releases with the ideas they shipped.",
        ),
        Operation(
            "GET",
            "/api/v1/releases/{release_id:id}",
            get_release,
            name="get_release",
            summary="One release",
            tag="Releases",
            response="Release",
            description="Drafts are visible to maintainers only.",
            path_params=(path_id("release_id", "The release's number."),),
        ),
    ],
    schemas=SCHEMAS,
)
