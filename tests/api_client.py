"""Scripts that use the JSON API: a person creates a token in their settings and a cookie-less client sends it."""

import re
from typing import Any

import httpx

from tests.people import Person

_TOKEN = re.compile(r'value="(rt_[^"]+)"')


async def create_token(someone: Person, *, name: str = "script", scope: str = "write", expires_on: str = "") -> str:
    """What a member does in /settings/tokens; returns the token the page shows once."""
    response = await someone.post("/settings/tokens", {"name": name, "scope": scope, "expires_on": expires_on})
    assert response.status_code == 201, response.text
    return _TOKEN.search(response.text).group(1)


def api_client(app: Any, token: str | None = None) -> httpx.AsyncClient:
    """A script's HTTP client: no cookie jar in use, the token in every request's Authorization header."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers)


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The JSON error of a refused request (and a check that it is one)."""
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "field"}, body
    return body["error"]
