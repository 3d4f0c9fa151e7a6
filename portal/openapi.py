"""The OpenAPI 3.1 document, assembled from the operations the domains declare, and its page for people."""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal.api import PUBLIC, SIGNED_IN, WRITE, ApiSection, Field, Operation, api_routes, json_of
from portal.templating import render

ERROR_DESCRIPTIONS = {
    400: "Bad input: malformed JSON, an unknown or missing field, a wrong type, or a value the rules refuse.",
    401: "No usable credentials: the token is unknown, expired or revoked, or none was sent where one is needed.",
    403: "Not allowed: a read-only token used to write, or an action for maintainers or for the author only.",
    404: "There is nothing at this address.",
    409: "The action conflicts with the current state (a closed board, a used vote budget, a merged idea).",
    413: "The body is larger than API_MAX_BODY_BYTES.",
    415: "The body is not sent as application/json.",
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def array(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": schema}


def obj(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    """An object whose every property is always present (null where it has no value)."""
    schema: dict[str, Any] = {"type": "object", "required": list(properties), "properties": properties}
    if description:
        schema["description"] = description
    return schema


STRING, INTEGER, BOOLEAN = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
MOMENT = {"type": "string", "format": "date-time"}
DAY = {"type": "string", "format": "date"}

ERROR_SCHEMA = obj(
    {
        "error": obj(
            {
                "message": STRING,
                "field": {
                    "type": ["string", "null"],
                    "description": "The body field or parameter at fault; null when none is singled out.",
                },
            }
        )
    }
)

SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token from your settings (/settings/tokens). Read tokens can only read; "
        "read-write tokens can also vote, post and edit. A request that sends a token is never "
        "authenticated by its cookie.",
    },
    "cookieAuth": {
        "type": "apiKey",
        "in": "cookie",
        "name": "session",
        "description": "The session of a signed-in browser. Writes with it must also send the page's CSRF token "
        "in the X-CSRF-Token header (from the csrf-token meta tag).",
    },
}


def _parameter(item: Field, location: str) -> dict[str, Any]:
    parameter = {"name": item.name, "in": location, "required": item.required or location == "path"}
    parameter["schema"] = {key: value for key, value in item.schema().items() if key != "description"}
    parameter["description"] = item.description
    if item.example is not None:
        parameter["example"] = item.example
    return parameter


def _body_schema(fields: tuple[Field, ...]) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {item.name: item.schema() for item in fields},
        "additionalProperties": False,
    }
    required = [item.name for item in fields if item.required]
    if required:
        schema["required"] = required
    return schema


def _error_codes(operation: Operation) -> list[int]:
    codes = {401, *operation.errors}  # a bad token gets 401 anywhere
    if operation.query or operation.body is not None:
        codes.add(400)
    if operation.path_params:
        codes.add(404)
    if operation.access == WRITE:
        codes.add(403)
    if operation.body is not None:
        codes.update((413, 415))
    return sorted(codes)


def _operation(operation: Operation) -> dict[str, Any]:
    access = {
        PUBLIC: "Anyone may call this; signed-in callers also see their own votes.",
        SIGNED_IN: "Needs a token (read or read-write) or a signed-in session.",
        WRITE: "Needs a read-write token, or a signed-in session with the X-CSRF-Token header.",
    }[operation.access]
    success: dict[str, Any] = {"description": operation.summary}
    if operation.response is not None:
        success["content"] = {"application/json": {"schema": ref(operation.response)}}
    responses: dict[str, Any] = {str(operation.status): success}
    for code in _error_codes(operation):
        responses[str(code)] = {
            "description": ERROR_DESCRIPTIONS[code],
            "content": {"application/json": {"schema": ref("Error")}},
        }
    document: dict[str, Any] = {
        "operationId": operation.name,
        "summary": operation.summary,
        "description": " ".join(part for part in (operation.description, access) if part),
        "tags": [operation.tag],
        "parameters": [_parameter(item, "path") for item in operation.path_params]
        + [_parameter(item, "query") for item in operation.query],
        "responses": responses,
    }
    if operation.access == PUBLIC:
        document["security"] = [{}, {"bearerAuth": []}, {"cookieAuth": []}]
    else:
        document["security"] = [{"bearerAuth": []}, {"cookieAuth": []}]
    if operation.body is not None:
        content: dict[str, Any] = {"schema": _body_schema(operation.body)}
        if operation.example_body is not None:
            content["example"] = operation.example_body
        document["requestBody"] = {"required": True, "content": {"application/json": content}}
    return document


def build_document(sections: list[ApiSection], *, title: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for section in sections:
        schemas.update(section.schemas)
        for operation in section.operations:
            paths.setdefault(operation.document_path, {})[operation.method.lower()] = _operation(operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{title} API",
            "version": "1",
            "description": "Ideas, votes, comments, boards, statuses, roadmap publications and releases, as JSON. "
            'Errors are {"error": {"message": ..., "field": ...}}. Lists are ordered and paged with '
            "keyset cursors: pass a page's `next_cursor` as `after` to get the next page.",
        },
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }


async def openapi_json(request: Request) -> Response:
    return json_of(request.app.state.openapi)


async def api_page(request: Request) -> Response:
    """The API for people: every endpoint with its parameters, body and an example, from the same document."""
    document = request.app.state.openapi
    endpoints = [
        {"path": path, "method": method.upper(), **details}
        for path, methods in document["paths"].items()
        for method, details in methods.items()
    ]
    tags: dict[str, list[dict]] = {}
    for endpoint in endpoints:
        tags.setdefault(endpoint["tags"][0], []).append(endpoint)
    return render(request, "api/api_page.html", {"document": document, "tags": tags})


def openapi_section() -> ApiSection:
    return ApiSection(
        operations=[
            Operation(
                "GET",
                "/api/v1/openapi.json",
                openapi_json,
                name="get_openapi_document",
                summary="This document",
                tag="API",
                response="OpenAPIDocument",
            )
        ],
        schemas={"OpenAPIDocument": {"type": "object", "description": "An OpenAPI 3.1 document."}},
    )


def mount(sections: list[ApiSection], *, title: str) -> tuple[list[Route], dict[str, Any]]:
    """The API's routes and its document, from every domain's section (and the document's own)."""
    sections = [openapi_section(), *sections]
    operations = [operation for section in sections for operation in section.operations]
    routes = [*api_routes(operations), Route("/api", api_page, name="api_page")]
    return routes, build_document(sections, title=title)
