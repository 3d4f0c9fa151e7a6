"""The grammar of references from commit messages to ideas.

A commit links to an idea when its message says so in one of these ways:

- in a sentence: ``idea #42`` or ``Idea#42`` (the word "idea", singular, then ``#`` and the number);
- a trailer line, ``Key: value`` at the start of a line, with the key ``Implements``, ``Refs`` or ``Idea``
  and one or more values separated by commas or spaces: ``idea-42``, ``idea #42``, or the idea's full URL
  on this portal; ``Idea:`` also takes a bare number (``Idea: 42``);
- the idea's full URL on this portal anywhere (``https://ideas.example.org/ideas/42``), when PUBLIC_URL is set.

Only ``Implements:`` says the commit implements the idea (and can mark it shipped); the others only refer.

What does not link: a bare ``#42`` (issue trackers own that), ``ideas #42`` (plural), ``idea #42abc``,
anything inside backquotes or a fenced code block, inside double quotes (``Revert "idea #42"``) or
single quotes used as quotes, and quoted reply lines starting with ``>``.
"""

import re
from urllib.parse import urlsplit

MAX_IDEA_ID = 10**15

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)[^`]*?\1")
_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|(?<![\w'])'[^'\n]*'(?![\w'])")
_IN_TEXT = re.compile(r"(?<![\w-])idea ?#([0-9]{1,15})(?![\w#-])", re.IGNORECASE)
_TRAILER = re.compile(r"^(implements|refs|idea)[ \t]*:[ \t]*(.+)$", re.IGNORECASE | re.MULTILINE)
_TRAILER_VALUE = re.compile(r"^(?:idea-([0-9]{1,15})|idea ?#([0-9]{1,15}))$", re.IGNORECASE)
_BARE_NUMBER = re.compile(r"^#?([0-9]{1,15})$")
_URL = re.compile(r"https?://[^\s<>\"'`)]+")


def _strip_quoted(message: str) -> str:
    message = _FENCE.sub("", message)
    message = _CODE_SPAN.sub("", message)
    lines = [line for line in message.splitlines() if not line.lstrip().startswith(">")]
    return _QUOTED.sub("", "\n".join(lines))


def _idea_from_url(url: str, public_url: str) -> int | None:
    if not public_url:
        return None
    base = urlsplit(public_url.rstrip("/"))
    parts = urlsplit(url.rstrip(".,;:!?"))
    if (parts.scheme, parts.netloc.lower()) != (base.scheme, base.netloc.lower()):
        return None
    match = re.fullmatch(re.escape(base.path) + r"/ideas/([0-9]{1,15})/?", parts.path)
    return int(match.group(1)) if match and not parts.query else None


def find_idea_references(message: str, *, public_url: str = "") -> dict[int, bool]:
    """The ideas a commit message references, each with whether it says it implements it."""
    text = _strip_quoted(message)
    found: dict[int, bool] = {}

    def add(idea_id: int, implements: bool) -> None:
        if 0 < idea_id < MAX_IDEA_ID:
            found[idea_id] = found.get(idea_id, False) or implements

    for match in _IN_TEXT.finditer(text):
        add(int(match.group(1)), False)
    for url in _URL.findall(text):
        idea_id = _idea_from_url(url, public_url)
        if idea_id is not None:
            add(idea_id, False)
    for key, values in _TRAILER.findall(text):
        key = key.lower()
        for value in re.split(r"[,\s]+(?!#)", values.strip()):
            value = value.strip()
            match = _TRAILER_VALUE.match(value)
            if match:
                add(int(match.group(1) or match.group(2)), key == "implements")
            elif key == "idea" and _BARE_NUMBER.match(value):
                add(int(_BARE_NUMBER.match(value).group(1)), False)
            elif value.startswith(("http://", "https://")):
                idea_id = _idea_from_url(value, public_url)
                if idea_id is not None:
                    add(idea_id, key == "implements")
    return found
