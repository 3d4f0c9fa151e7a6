"""Static files under content-hashed names, cached by browsers for a year; and the favicon.

`static_url("style.css")` in a template gives `/static/style.<digest>.css`: a new deploy that
changes the file changes its name, so the old one may be kept forever ("immutable"). The plain
name (and a digest that is not the file's, as a page from before a deploy asks for) is still
served, with a short cache.
"""

import hashlib
import re
from pathlib import Path

from jinja2 import pass_context
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from portal.routing import path_for

# Where app.py mounts static/; requests under it are served the same to everyone, signed in or not.
STATIC_PREFIX = "/static/"
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"
# What hashed_name() makes: in any folder, with or without a suffix.
_HASHED = re.compile(r"(?P<stem>.+)\.(?P<digest>[0-9a-f]{12})(?P<suffix>\.[A-Za-z0-9]+)?")


class HashedStaticFiles(StaticFiles):
    """StaticFiles that also answers to `name.<digest>.ext`, with Cache-Control by which was asked."""

    def __init__(self, *, directory: Path, reload: bool = False) -> None:
        super().__init__(directory=directory)
        self.root = Path(directory)
        # With `reload` (debug), a file edited while serving gets a new digest; else each is read once.
        self.reload = reload
        self._digests: dict[str, str] = {}

    def digest(self, name: str) -> str:
        digest = None if self.reload else self._digests.get(name)
        if digest is None:
            path = self.root / name
            if not path.resolve().is_relative_to(self.root.resolve()) or not path.is_file():
                raise LookupError(f"There is no static file {name!r}.")
            digest = self._digests[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        return digest

    def hashed_name(self, name: str) -> str:
        stem, dot, suffix = name.rpartition(".")
        return f"{stem}.{self.digest(name)}.{suffix}" if dot else f"{name}.{self.digest(name)}"

    async def get_response(self, path: str, scope: Scope) -> Response:
        match = _HASHED.fullmatch(path)
        name = f"{match['stem']}{match['suffix'] or ''}" if match else path
        response = await super().get_response(name, scope)
        current = match is not None and self._digest_or_none(name) == match["digest"]
        response.headers["Cache-Control"] = IMMUTABLE if current else SHORT
        return response

    def _digest_or_none(self, name: str) -> str | None:
        try:
            return self.digest(name)
        except LookupError:
            return None


@pass_context
def static_url(context, name: str) -> str:
    """The address of a file in static/ under its content-hashed name."""
    request = context["request"]
    return path_for(request, "static", path=request.app.state.static_files.hashed_name(name))


async def favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico whatever the page says; the icon is an SVG in static/."""
    return RedirectResponse(path_for(request, "static", path="favicon.svg"), status_code=301)


routes = [Route("/favicon.ico", favicon, name="favicon")]
