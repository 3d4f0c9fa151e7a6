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


def render_text(text: str) -> str:
    """Markdown as plain text, for the text part of an email: what the page shows, without markup.

    Paragraphs and blocks are apart, list items keep their marks ("*", "1."), quotes their ">",
    code its lines (indented); a link reads as its text and then its address, an image as its
    description. The text is never HTML: what an author typed as markup is shown as typed,
    as the page shows it.
    """
    lines: list[str] = []
    lists: list[int | None] = []  # each open list's next number (None: bullets)
    quotes = 0
    marker = ""  # a list item's mark, waiting for the item's first line
    row: list[str] | None = None  # the cells of the table row being read
    together = False  # the next block follows the last on the next line (no blank line)
    previous = ""  # what the last block was: "item" (of a tight list), "row", or ""
    tight = False  # in a paragraph of a tight list

    last_quotes = 0  # how deep in quotes the last block was

    def add(block: str, kind: str) -> None:
        nonlocal marker, together, previous, last_quotes
        quote = "> " * quotes
        if lines and not together:
            lines.append(("> " * min(quotes, last_quotes)).rstrip())
        first = "  " * max(len(lists) - 1, 0) + marker
        for number, line in enumerate(block.split("\n")):
            lines.append((quote + (first if number == 0 else " " * len(first)) + line).rstrip())
        marker, together, previous, last_quotes = "", False, kind, quotes

    for token in _renderer.parse(text):
        kind = token.type
        if kind == "bullet_list_open":
            lists.append(None)
        elif kind == "ordered_list_open":
            lists.append(int(token.attrs.get("start", 1)))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            number = lists[-1]
            marker = "* " if number is None else f"{number}. "
            if number is not None:
                lists[-1] = number + 1
        elif kind == "paragraph_open":
            # A tight list's paragraphs are hidden: its items follow each other line by line.
            tight = token.hidden
            together = tight and previous == "item"
        elif kind == "paragraph_close":
            tight = False
        elif kind == "blockquote_open":
            quotes += 1
        elif kind == "blockquote_close":
            quotes -= 1
        elif kind in ("fence", "code_block"):
            add("\n".join("    " + line for line in token.content.rstrip("\n").split("\n")), "")
        elif kind == "hr":
            add("* * *", "")
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            together = previous == "row"
            add(" | ".join(row), "row")
            row = None
        elif kind == "inline":
            words = _inline_text(token.children or [])
            if row is not None:
                row.append(words)
            else:
                add(words, "item" if tight else "")
    return "\n".join(lines).strip("\n")


def _inline_text(tokens: list[Token]) -> str:
    parts: list[str] = []
    links: list[tuple[str | None, int]] = []  # each open link's address and where its text starts
    for token in tokens:
        kind = token.type
        if kind in ("text", "code_inline"):
            parts.append(token.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind == "link_open":
            # A mention reads as the @name it is; other links as their text and then their address.
            href = None if token.attrs.get("class") == "mention" else str(token.attrs.get("href", ""))
            links.append((href, len(parts)))
        elif kind == "link_close" and links:
            href, start = links.pop()
            if href and href != "".join(parts[start:]):
                parts.append(f" ({href})")
        elif kind == "image":
            description = _inline_text(token.children or []) or "image"
            parts.append(f"[{description}] ({token.attrs.get('src', '')})")
    return "".join(parts)
