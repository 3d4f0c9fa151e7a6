"""Markdown in, sanitized HTML out: markdown-it-py renders, nh3 keeps only safe markup."""

import functools

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from portal.mentions_pattern import MENTION


def _link_mentions(state: StateCore) -> None:
    """@username in text (not in code, not inside a link) becomes a link to the member's page."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        in_link = 0
        for token in block.children:
            if token.type == "link_open":
                in_link += 1
            elif token.type == "link_close":
                in_link -= 1
            if token.type != "text" or in_link or "@" not in token.content:
                children.append(token)
                continue
            position = 0
            for match in MENTION.finditer(token.content):
                if match.start() > position:
                    children.append(_text(token.content[position : match.start()]))
                link = Token("link_open", "a", 1)
                link.attrs = {"href": f"/people/{match.group(1).lower()}", "class": "mention"}
                children += [link, _text(match.group(0)), Token("link_close", "a", -1)]
                position = match.end()
            if position < len(token.content):
                children.append(_text(token.content[position:]))
        block.children = children


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])
_renderer.core.ruler.push("mentions", _link_mentions)

_ALLOWED_TAGS = {
    "a",
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "img",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title", "class"}, "img": {"src", "alt", "title"}, "ol": {"start"}}


def render_markdown(text: str) -> str:
    return nh3.clean(
        _renderer.render(text),
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener noreferrer",
    )


_plain_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False})


@functools.lru_cache(maxsize=1024)
def render_doc_markdown(text: str) -> str:
    """Descriptions written in code, such as the OpenAPI document's (CommonMark by its spec):
    rendered and sanitized like members' text, without @mentions; each once per process (a
    page such as /api shows the same ~150 on every visit)."""
    return nh3.clean(_plain_renderer.render(text), tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES)


def mentioned_usernames(text: str) -> list[str]:
    """The members the rendered text links as @mentions (so code and links never count), in order."""
    seen: dict[str, None] = {}
    for block in _renderer.parse(text):
        for token in block.children or ():
            if token.type == "link_open" and token.attrs.get("class") == "mention":
                seen.setdefault(str(token.attrs["href"]).rsplit("/", 1)[1], None)
    return list(seen)
