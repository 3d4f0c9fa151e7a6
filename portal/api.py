"""The JSON API's shell: operations declared as data, token scopes, JSON bodies and errors.

Each domain declares its endpoints as an `ApiSection` of `Operation`s (ideas/api_spec.py,
roadmap/api.py; linked repositories will add contributors' section in portal/app.py). From that
one list come the Starlette routes, the checks every request goes through (who may call, what
body it may send) and the OpenAPI document (portal/openapi.py), so the document cannot drift
from what the server does.
"""

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.authentication import AuthenticationError
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.responses import Response
from starlette.routing import Route

from portal.accounts.guards import suspension_message
from portal.security import API_PREFIX
from portal.templating import error_response

# The API's answer to a visitor without a session or a token.
API_SIGN_IN = "Sign in or send an API token: `Authorization: Bearer <token>`."

JSON_TYPES = {"string": str, "integer": int, "boolean": bool}


class ApiResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        # ensure_ascii: a lone surrogate someone sent (and we echo in an error) still encodes.
        return json.dumps(content, separators=(",", ":")).encode()


class ApiError(Exception):
    """A refusal the client can act on: turned into {"error": {"message", "field"}} with `status`."""

    def __init__(self, status: int, message: str, field: str | None = None, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.headers = headers


def error_json(status: int, message: str, field: str | None = None, headers: dict | None = None) -> Response:
    return ApiResponse({"error": {"message": message, "field": field}}, status_code=status, headers=headers)


def is_api_request(request: HTTPConnection) -> bool:
    return request.url.path.startswith(API_PREFIX)


def error_for(request: Request, status: int, message: str) -> Response:
    """An error as JSON on the API, as a page elsewhere (for the middleware and error handlers)."""
    if is_api_request(request):
        if status == 403:  # the CSRF check is the only caller that refuses with 403
            message = "A write with the session cookie must send its CSRF token in the X-CSRF-Token header."
        return error_json(status, message)
    return error_response(request, status, message)


def authentication_failed(conn: HTTPConnection, error: AuthenticationError) -> Response:
    return error_json(401, str(error), headers={"WWW-Authenticate": 'Bearer realm="api"'})


@dataclass(frozen=True)
class Field:
    """One member of a JSON body, or one query or path parameter."""

    name: str
    type: str
    description: str
    required: bool = False
    nullable: bool = False
    min_length: int | None = None
    max_length: int | None = None
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    example: Any = None

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": [self.type, "null"] if self.nullable else self.type}
        for key, value in (
            ("minLength", self.min_length),
            ("maxLength", self.max_length),
            ("pattern", self.pattern),
            ("minimum", self.minimum),
            ("maximum", self.maximum),
        ):
            if value is not None:
                schema[key] = value
        if self.enum is not None:
            schema["enum"] = list(self.enum) + ([None] if self.nullable else [])
        if self.description:
            schema["description"] = self.description
        if self.example is not None:
            schema["examples"] = [self.example]
        return schema


# Who may call: anyone; a signed-in member (cookie or any token); a member with a read-write token or cookie.
PUBLIC, SIGNED_IN, WRITE = "public", "signed_in", "write"

Endpoint = Callable[..., Awaitable[Response]]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # with Starlette convertors, e.g. /api/v1/ideas/{idea_id:id}
    endpoint: Endpoint
    name: str
    summary: str
    tag: str
    response: str | None  # a schema in the components, or None for 204
    access: str = PUBLIC
    status: int = 200
    description: str = ""
    path_params: tuple[Field, ...] = ()
    query: tuple[Field, ...] = ()
    body: tuple[Field, ...] | None = None
    errors: tuple[int, ...] = ()
    example_body: dict | None = None

    @property
    def document_path(self) -> str:
        return re.sub(r"\{(\w+):\w+\}", r"{\1}", self.path)


def _require_access(request: Request, operation: Operation) -> None:
    user = request.user
    if operation.access == PUBLIC:
        return
    if not user.is_authenticated:
        raise ApiError(401, API_SIGN_IN)
    if operation.access == WRITE and user.token_scope == "read":
        raise ApiError(403, "This token can only read; create a read-write token to make changes.")
    if operation.access == WRITE and user.is_suspended:
        raise ApiError(403, suspension_message(user))


async def read_json(request: Request, fields: tuple[Field, ...], max_bytes: int) -> dict[str, Any]:
    """The request's JSON object, every member known and of its declared type; ApiError otherwise."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise ApiError(415, "Send the body as JSON, with `Content-Type: application/json`.")
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise ApiError(413, f"That body is too large: at most {max_bytes} bytes.")
            chunks.append(chunk)
    except ClientDisconnect:
        raise ApiError(400, "The body did not arrive whole.") from None
    try:
        data = json.loads(b"".join(chunks), parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise ApiError(400, f"The body is not valid JSON ({str(error)[:120]}).") from None
    if not isinstance(data, dict):
        raise ApiError(400, "The body must be a JSON object.")
    known = {item.name: item for item in fields}
    for name in data:
        if name not in known:
            raise ApiError(400, f"Unknown field {name[:40]!r}: this takes {', '.join(known) or 'no fields'}.", name)
    for item in fields:
        value = data.get(item.name)
        if item.name not in data:
            if item.required:
                raise ApiError(400, f"The field {item.name!r} is required.", item.name)
            continue
        if value is None and item.nullable:
            continue
        wanted = JSON_TYPES[item.type]
        if not isinstance(value, wanted) or (wanted is int and isinstance(value, bool)):
            article = "an" if item.type[0] in "aeiou" else "a"
            raise ApiError(400, f"The field {item.name!r} must be {article} {item.type}.", item.name)
    return data


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def first_error(errors: dict[str, str]) -> ApiError:
    """A form's first complaint as a 400, naming its field (the site shows them all beside the fields)."""
    name, message = next(iter(errors.items()))
    return ApiError(400, message, name)


def _dispatcher(operations: dict[str, Operation], max_body: Callable[[Request], int]) -> Endpoint:
    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        operation = operations[method]
        try:
            _require_access(request, operation)
            if operation.body is not None:
                body = await read_json(request, operation.body, max_body(request))
                response = await operation.endpoint(request, body)
            else:
                response = await operation.endpoint(request)
            # KickJobsMiddleware wakes the jobs loop after any request that queued work (webhook
            # deliveries, emails); a write that queued none (a vote) costs no jobs round.
            return response
        except ApiError as error:
            return error_json(error.status, error.message, error.field, error.headers)

    dispatch.operations = operations  # for tests that walk the API (tests/portal/test_access.py)
    return dispatch


def api_routes(operations: list[Operation]) -> list[Route]:
    """One Route per path, answering the methods its operations declare (405 JSON for others)."""
    by_path: dict[str, dict[str, Operation]] = {}
    for operation in operations:
        by_path.setdefault(operation.path, {})[operation.method] = operation

    def max_body(request: Request) -> int:
        return request.app.state.settings.api_max_body_bytes

    return [
        Route(
            path, _dispatcher(methods, max_body), methods=list(methods), name=f"api_{next(iter(methods.values())).name}"
        )
        for path, methods in by_path.items()
    ]


def json_of(data: Any, status: int = 200, headers: dict | None = None) -> Response:
    return ApiResponse(data, status_code=status, headers=headers)


def iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def id_cursor(request: Request) -> int | None:
    """The `after` query parameter of a list paged by id (a previous page's `next_cursor`), or None."""
    raw = request.query_params.get("after")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdecimal() and len(raw) < 18):
        raise ApiError(400, "That cursor is not valid; start again from the first page.", "after")
    return int(raw)


def path_id(name: str, description: str) -> Field:
    return Field(name, "integer", description, required=True, minimum=1, maximum=10**18 - 1, example=1)


@dataclass
class ApiSection:
    """What a domain adds to the API: its operations and the schemas of what they return."""

    operations: list[Operation]
    schemas: dict[str, dict] = field(default_factory=dict)
