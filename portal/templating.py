"""The Jinja2 environment: templates, filters, and what every page knows."""

import re
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import pass_context
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from portal import fragments
from portal.db import utcnow
from portal.markdown import render_doc_markdown
from portal.routing import path_for
from portal.security import csrf_token
from portal.static_files import static_url


def _shipped(folder: str) -> Path:
    """templates/ or static/: inside the installed package (a built wheel puts them there), else the
    repository's top-level folder (a checkout, an editable install)."""
    installed = resources.files("portal") / folder
    if installed.is_dir():
        return Path(str(installed))
    return Path(__file__).resolve().parent.parent / folder


TEMPLATES_DIR = _shipped("templates")
STATIC_DIR = _shipped("static")


class LazyCSRFToken:
    """The CSRF token, made (and stored in the session) only when a page renders a form.

    A visitor who only reads gets no session cookie, and the response no Set-Cookie.
    """

    __slots__ = ("_request",)

    def __init__(self, request: Request) -> None:
        self._request = request

    def __str__(self) -> str:
        return csrf_token(self._request) if "session" in self._request.scope else ""

    __html__ = __str__


def page_context(request: Request) -> dict[str, Any]:
    # The 500 page may render before the session and user middleware ran.
    user = request.scope.get("user")
    return {
        "current_user": user if user is not None and user.is_authenticated else None,
        "csrf_token": LazyCSRFToken(request),
        "site_name": request.app.state.settings.site_name,
        "now": utcnow(),
    }


_SECOND = timedelta(seconds=1)
_AGO_UNITS = (("year", 31536000), ("month", 2592000), ("day", 86400), ("hour", 3600), ("minute", 60))


def time_ago(moment: datetime, now: datetime | None = None) -> str:
    seconds = ((now or utcnow()) - moment) // _SECOND
    for unit, size in _AGO_UNITS:
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit} ago" if count == 1 else f"{count} {unit}s ago"
    return "just now"


def duration(span: timedelta) -> str:
    """A wait in the largest unit that fits: 45 minutes, 3 hours, 2 days."""
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = round(seconds / size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return "under a minute"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


def charrefs(text: str) -> str:
    """`text` with each non-ASCII character as a numeric character reference (· is &#xB7;)."""
    return text if text.isascii() else "".join(char if char < "\x80" else f"&#x{ord(char):X};" for char in text)


class AsciiTemplateText(Extension):
    """The text written in HTML templates (not the values put in) with its non-ASCII characters
    as character references: a page of ASCII text is joined and encoded many times faster than
    one with a single emoji, which makes Python store every character of it in four bytes."""

    def filter_stream(self, stream: TokenStream) -> Any:
        html = (stream.name or "").endswith(".html")
        for token in stream:
            if html and token.type == "data" and not token.value.isascii():
                token = Token(token.lineno, token.type, charrefs(token.value))
            yield token


templates = Jinja2Templates(directory=TEMPLATES_DIR, context_processors=[page_context])
templates.env.add_extension(AsciiTemplateText)
# For values known to be markup-free text, such as the reactions' emoji.
templates.env.filters["charrefs"] = lambda value: Markup(charrefs(str(escape(value))))


class Path(str):
    """A path from url_for: a plain string to templates, with `.path` as Starlette's URL has."""

    __slots__ = ()

    @property
    def path(self) -> str:
        return str(self)


@pass_context
def url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> Path:
    """A link without scheme and host, so that a forged Host header cannot steer forms and links."""
    return Path(path_for(context["request"], name, **path_params))


templates.env.globals["url_for"] = url_for
templates.env.globals["static_url"] = static_url
templates.env.globals.update(person=fragments.person, status_badge=fragments.status_badge)
templates.env.globals["vote_button"] = fragments.vote_button
templates.env.globals["conduct_note"] = fragments.conduct_note
# Templates change with a deploy, not while serving: no stat() of every template on each render.
templates.env.auto_reload = False
templates.env.filters["relative"] = lambda url: url.path + (f"?{url.query}" if url.query else "")
templates.env.filters["ago"] = time_ago
templates.env.filters["iso"] = lambda moment: moment.isoformat(timespec="seconds")
templates.env.filters["last_day"] = lambda end: f"{end - timedelta(days=1):%Y-%m-%d}"
templates.env.globals["plural"] = plural
templates.env.filters["duration"] = duration
templates.env.filters["doc_markdown"] = lambda text: Markup(render_doc_markdown(text or ""))


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    media_type: str | None = None,
) -> Response:
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code, media_type=media_type)


ATOM = "application/atom+xml; charset=utf-8"
# What XML 1.0 has no place for (its Char production), though text members post may hold it:
# U+FFFE and U+FFFF pass the forms, and a single one makes a whole feed unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render_atom(request: Request, name: str, context: dict[str, Any]) -> Response:
    """An Atom feed from template `name`, without the characters XML forbids."""
    response = render(request, name, context, media_type=ATOM)
    text = response.body.decode()
    kept = _NOT_XML.sub("", text)
    if kept != text:
        response.body = kept.encode()
        response.headers["content-length"] = str(len(response.body))
    return response


def error_response(request: Request, status_code: int, message: str) -> Response:
    return render(request, "errors/error.html", {"status_code": status_code, "message": message}, status_code)
