"""Reading a page the way a browser does: tests ask the parsed tree, not the bytes.

`parsed(response)` parses once; the other helpers take a response, the HTML as a string, a parsed
page or one of its nodes, so a test can write `shown(response)` as easily as `shown(tree, "main")`.
A check on the bytes is still right where the bytes are the point: a secret or an address that
must appear nowhere in what is sent, attributes included.
"""

from typing import Any

import httpx
from selectolax.lexbor import LexborHTMLParser, LexborNode

Tree = LexborHTMLParser | LexborNode


def parsed(source: Any) -> LexborHTMLParser:
    """The parsed page of a response (or of HTML given as a string)."""
    if isinstance(source, LexborHTMLParser):
        return source
    if isinstance(source, httpx.Response):
        source = source.text
    return LexborHTMLParser(source)


def tree(source: Any) -> Tree:
    """The node given, or the parsed page of anything else `parsed` takes."""
    return source if isinstance(source, LexborNode) else parsed(source)


def shown(source: Any, css: str | None = None) -> str:
    """The text a reader sees, tags removed: of the elements `css` selects (all of them, in order),
    else of the node given or of the page's body."""
    if css is None:
        node = tree(source)
        return node.text() if isinstance(node, LexborNode) else node.body.text()
    return " ".join(node.text() for node in tree(source).css(css))


def texts(source: Any, css: str) -> list[str]:
    """The text of each element `css` selects, with its runs of white space made one space."""
    return [" ".join(node.text().split()) for node in tree(source).css(css)]


def comments_in(source: Any) -> list[str]:
    """The HTML comments left in the node (or page), in order."""
    node = tree(source)
    start = node if isinstance(node, LexborNode) else node.root
    return [each.comment_content for each in start.traverse(include_text=False) if each.is_comment_node]


def one(source: Any, css: str) -> LexborNode:
    """The first element `css` selects; fails the test when there is none."""
    node = tree(source).css_first(css)
    assert node is not None, f"nothing on the page matches {css!r}"
    return node


def has(source: Any, css: str) -> bool:
    return tree(source).css_first(css) is not None


def links(source: Any, css: str = "a[href]") -> list[str]:
    """Where the links `css` selects go (their href), in page order."""
    return [node.attributes.get("href") or "" for node in tree(source).css(css)]


def link_to(source: Any, text_of_link: str) -> str | None:
    """The href of the first link whose text is `text_of_link` (stripped), or None."""
    for node in tree(source).css("a[href]"):
        if node.text(strip=True) == text_of_link:
            return node.attributes["href"]
    return None


def actions(source: Any) -> list[str]:
    """Where the page's forms send to (their action), in page order."""
    return [node.attributes.get("action") or "" for node in tree(source).css("form")]


def form(source: Any, action: str) -> LexborNode:
    """The form that sends to `action`; fails the test when there is none."""
    return one(source, f'form[action="{action}"]')


def values(source: Any) -> dict[str, str]:
    """What the fields hold, by name, as the browser would send them (first field of a name wins):
    an input's value, a textarea's text, the selected option of a select, checked boxes only."""
    held: dict[str, str] = {}
    for node in tree(source).css("input[name], textarea[name], select[name]"):
        name = node.attributes["name"]
        if name in held:
            continue
        if node.tag == "textarea":
            held[name] = node.text()
        elif node.tag == "select":
            chosen = node.css_first("option[selected]") or node.css_first("option")
            if chosen is not None:
                held[name] = chosen.attributes.get("value") or chosen.text()
        elif node.attributes.get("type") in ("checkbox", "radio"):
            if "checked" in node.attributes:
                held[name] = node.attributes.get("value") or "on"
        else:
            held[name] = node.attributes.get("value") or ""
    return held
