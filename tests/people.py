"""People who use the portal in tests: each has their own browser-like client and cookies."""

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from portal.accounts.passwords import hash_password
from portal.accounts.queries import create_user

PASSWORD = "correct horse battery"
_CSRF_INPUT = re.compile(r'(?:name="csrf_token" value|name="csrf-token" content)="([^"]+)"')
_IDEA_LOCATION = re.compile(r"/ideas/(\d+)$")


class Person:
    def __init__(self, app: Any, username: str | None = None, user_id: int | None = None) -> None:
        self.app = app
        self.username = username
        self.id = user_id
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        self.csrf: str | None = None

    @classmethod
    async def create(cls, app: Any, username: str, *, role: str = "member", founder: bool = False) -> "Person":
        """A member created through the accounts code, not yet signed in."""
        password_hash = await hash_password(app.state.password_hasher, PASSWORD)
        user_id = await create_user(
            app.state.db,
            username=username,
            email=f"{username}@example.org",
            display_name=username.title(),
            password_hash=password_hash,
            email_verified=True,
            role=role,
            is_founder=founder,
        )
        return cls(app, username, user_id)

    @classmethod
    @asynccontextmanager
    async def browsing(cls, app: Any) -> AsyncIterator["Person"]:
        someone = cls(app)
        try:
            yield someone
        finally:
            await someone.close()

    async def close(self) -> None:
        await self.client.aclose()

    def _remember_csrf(self, response: httpx.Response) -> None:
        match = _CSRF_INPUT.search(response.text) if "text/html" in response.headers.get("content-type", "") else None
        if match:
            self.csrf = match.group(1)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.client.get(path, **kwargs)
        self._remember_csrf(response)
        return response

    async def post(
        self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> httpx.Response:
        data = dict(data or {})
        if csrf and "csrf_token" not in data:
            if self.csrf is None:
                await self.get("/signin")
            data["csrf_token"] = self.csrf
        response = await self.client.post(path, data=data, **kwargs)
        self._remember_csrf(response)
        return response

    async def sign_in(self, password: str = PASSWORD) -> httpx.Response:
        response = await self.post("/signin", {"login": self.username, "password": password})
        assert response.status_code == 303, response.text
        self.csrf = None  # signing in starts a new session with a new token
        return response

    async def submit_idea(self, title: str, body: str = "") -> int:
        response = await self.post("/ideas/new", {"title": title, "body": body, "confirmed": "1"})
        assert response.status_code == 303, response.text
        match = _IDEA_LOCATION.search(response.headers["location"])
        assert match, response.headers["location"]
        return int(match.group(1))

    async def vote(self, idea_id: int, *, on: bool = True, **kwargs: Any) -> httpx.Response:
        return await self.post(f"/ideas/{idea_id}/vote", {"vote": "1" if on else "0"}, **kwargs)

    async def comment(self, idea_id: int, body: str) -> httpx.Response:
        return await self.post(f"/ideas/{idea_id}/comments", {"body": body})
