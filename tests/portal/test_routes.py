"""The routing table: Starlette tries the routes in order, and portal/app.py puts the most
asked-for groups first. That is only safe while no path is matched by routes of two groups."""

import re

from starlette.routing import Match

from portal.app import DOMAINS, api, route_groups
from portal.domains import Assembly
from tests.pages import links as hrefs


def test_no_path_is_matched_by_routes_of_two_groups():
    assembly = Assembly.of(DOMAINS)
    groups = route_groups(assembly, api(assembly, "t")[0])
    paths = {
        re.sub(r"\{[^}]+\}", value, route.path_format)
        for group in groups
        for route in group
        for value in ("123", "abc", "new", "similar", "read", "settings")
    }
    within_a_group = 0
    for path in paths:
        for method in ("GET", "POST"):
            scope = {"type": "http", "path": path, "method": method, "root_path": ""}
            matching = [[route.name for route in group if route.matches(scope)[0] == Match.FULL] for group in groups]
            assert sum(bool(names) for names in matching) <= 1, f"{method} {path}: {matching}"
            within_a_group += any(len(names) > 1 for names in matching)
    assert len(paths) > 150 and within_a_group  # /boards/new and /boards/{slug}, say, were tried


async def test_a_page_answered_under_a_mount_links_to_the_app_s_own_paths(visitor):
    """A missing file under /static answers with the site's 404 page; its links must not take
    the mount's prefix (they were /static/boards, /static/ideas/new...)."""
    page = await visitor.get("/static/no-such-file.css")
    assert page.status_code == 404
    links = [href for href in hrefs(page, "[href]") if href.startswith("/")]
    assert "/boards" in links or "/" in links
    pages_under_the_mount = [
        link
        for link in links
        if link.startswith("/static/") and not link.endswith((".css", ".js", ".svg", ".png", ".ico"))
    ]
    assert not pages_under_the_mount
