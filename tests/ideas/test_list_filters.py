"""Every control of an idea list changes its one filter and keeps all the others.

For each control (order tabs, board links, the status filter, tags, the author filter, the next
page), on a list filtered every way the others can be, the link the control gives (or the address
its form submits to) is followed through a parser, and the filters it leads to are compared with
the ones the page had.
"""

import itertools
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from ideas.queries import PAGE_SIZE

BOARD, TAG, AUTHOR, STATUS = "design", "ux", "linus", "planned"
DEFAULTS = {"board": None, "sort": "top", "status": None, "tag": None, "author": None}
# Each filter is either off or set: every other filter set is one combination of these.
SETTINGS = {"board": BOARD, "sort": "new", "status": STATUS, "tag": TAG, "author": AUTHOR}


def list_address(filters: dict) -> str:
    path = f"/boards/{filters['board']}" if filters["board"] else "/"
    query = {name: value for name, value in filters.items() if name != "board" and value and value != DEFAULTS[name]}
    return f"{path}?{urlencode(query)}" if query else path


def filters_of(address: str) -> dict:
    """The filters a list address asks for (the cursor as "after")."""
    parts = urlsplit(address)
    board = re.fullmatch(r"/boards/([a-z0-9-]+)|/", parts.path)
    assert board, f"{address} is not an idea list"
    params = {name: values[-1] for name, values in parse_qs(parts.query).items()}
    found = {name: params.pop(name, None) or default for name, default in DEFAULTS.items() if name != "board"}
    found["board"] = board.group(1)
    found["after"] = params.pop("after", None)
    assert not params, f"{address} carries {params}"
    return found


def submitted(form) -> str:
    """Where a GET form goes when its status is changed (to Planned, or back to any status)."""
    fields = [(i.attributes["name"], i.attributes.get("value") or "") for i in form.css("input[type=hidden]")]
    chosen = form.css_first("select[name=status] option[selected]")
    fields.append(("status", "" if chosen is not None and chosen.attributes["value"] else STATUS))
    return f"{form.attributes['action']}?{urlencode(fields)}"


def links(tree, selector: str) -> list[str]:
    return [node.attributes["href"] for node in tree.css(selector)]


# control -> (the filter it changes, what it changes it to given the page's filters, its links on a page)
CONTROLS = {
    "order tab": ("sort", lambda f: "top" if f["sort"] == "new" else "new", lambda t, f: _tab(t, f)),
    "status filter": (
        "status",
        lambda f: None if f["status"] else STATUS,
        lambda t, f: [submitted(t.css_first("form.filters"))],
    ),
    "tag on a row": ("tag", lambda f: TAG, lambda t, f: links(t, "li.idea-row a.tag")),
    "any tag": ("tag", lambda f: None, lambda t, f: links(t, "a.clear-tag")),
    "board links": ("board", lambda f: BOARD, lambda t, f: [h for h in links(t, "nav.board-links a") if BOARD in h]),
    "board on a row": (
        "board",
        lambda f: BOARD,
        lambda t, f: [h for h in links(t, "li.idea-row a.board") if BOARD in h],
    ),
    "every board": ("board", lambda f: None, lambda t, f: links(t, "a.all-boards")),
    "everyone's": ("author", lambda f: None, lambda t, f: links(t, "a.clear-author")),
    "next page": ("after", None, lambda t, f: links(t, "a[rel=next]")),
}


def _tab(tree, filters: dict) -> list[str]:
    label = "Top" if filters["sort"] == "new" else "Newest"
    return [node.attributes["href"] for node in tree.css("nav.tabs a") if node.text(strip=True) == label]


async def _make_ideas(person, count: int) -> None:
    """`count` ideas that every filter lets through, and one on the general board that none does."""
    grace = await person("grace", role="admin")
    linus = await person("linus")
    ada = await person("ada")
    assert (await grace.post("/boards/new", {"name": "Design", "slug": BOARD})).status_code == 303
    await ada.submit_idea("Faster start-up")
    for number in range(count):
        response = await linus.post(
            "/ideas/new", {"title": f"Themes, take {number}", "body": "", "board": BOARD, "confirmed": "1"}
        )
        idea_id = int(response.headers["location"].rsplit("/", 1)[1])
        assert (await grace.post(f"/ideas/{idea_id}/tags", {"tags": "UX"})).status_code == 303
        assert (await grace.post(f"/ideas/{idea_id}/status", {"status": STATUS, "note": "Soon."})).status_code == 303


@pytest.mark.parametrize("control", CONTROLS)
async def test_every_list_control_keeps_every_other_filter(control, person, visitor):
    changed, change_to, find = CONTROLS[control]
    await _make_ideas(person, PAGE_SIZE + 1 if control == "next page" else 1)
    checked, wrong = 0, []
    for chosen in itertools.product((False, True), repeat=len(SETTINGS)):
        filters = {**DEFAULTS, **{name: SETTINGS[name] for name, on in zip(SETTINGS, chosen, strict=True) if on}}
        page = await visitor.get(list_address(filters))
        assert page.status_code == 200, (filters, page.text)
        for href in find(HTMLParser(page.text), filters):
            checked += 1
            expected = {**filters, "after": None}
            if changed == "after":
                expected["after"] = filters_of(href)["after"] or "a cursor"
            else:
                expected[changed] = change_to(filters) or DEFAULTS[changed]
            if filters_of(href) != expected:
                wrong.append(f"on {list_address(filters)}: {href}")
            if changed == "after" and any(filters[name] for name in ("board", "status", "tag", "author")):
                # The next page keeps the filters too, and shows only ideas they let through.
                more = HTMLParser((await visitor.get(href)).text)
                titles = [node.text(strip=True) for node in more.css("li.idea-row h2 a")]
                assert titles and all(title.startswith("Themes") for title in titles), (href, titles)
    assert not wrong, f"{control} lost a filter:\n" + "\n".join(wrong)
    assert checked >= 4, f"{control} was found on {checked} pages"
