"""Who may use which page. Every route that writes declares its rule on its endpoint
(portal.access), and each rule answers as it always has: a visitor is sent to sign in and back,
a member without the role is refused with 403, a suspended member is refused every write; the
JSON API answers the same refusals in JSON. Domain errors (portal.errors) become the error page
or the JSON error body in one place."""

import re
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from starlette.routing import BaseRoute, Mount, Route

import portal
from portal import access, api
from portal.app import create_app
from tests.api_client import api_client, create_token, error_of

ROOT = Path(portal.__file__).resolve().parent.parent
SIGN_IN_BY_HAND = re.compile(r"if not request\.user\.is_authenticated:\s*return RedirectResponse\(")

# Writes that anyone may send, and what stands in for a session.
PUBLIC_WRITES = {
    "signup": "making an account",
    "signin": "signing in",
    "signout": "signing out (a visitor has nothing to end)",
    "forgot_password": "asking for a password link",
    "reset_password": "the emailed link's signed token",
    "confirm_email": "the emailed link's signed token",
    "unsubscribe": "the email's signed token (RFC 8058 one-click)",
    "repository_webhook": "the secret address a git host posts to",
}
# Writes whose endpoint decides by what they act on (refusing a visitor with 403, as always).
DECIDED_BY_THE_ENDPOINT = {
    "sync_repository": "the member who linked the repository, or a maintainer",
    "unlink_repository": "the member who linked the repository, or a maintainer",
}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _routes(routes: list[BaseRoute]) -> list[Route]:
    found = []
    for route in routes:
        if isinstance(route, Mount):
            found += _routes(route.routes)
        elif isinstance(route, Route):
            found.append(route)
    return found


def _site_routes(settings) -> list[Route]:
    return [route for route in _routes(create_app(settings).routes) if not route.path.startswith("/api/")]


def test_every_route_that_writes_declares_who_may(settings):
    undeclared = [
        f"{route.name} {route.path}"
        for route in _site_routes(settings)
        if set(route.methods or ()) & WRITES
        and not getattr(route.endpoint, "access", ())
        and route.name not in PUBLIC_WRITES
        and route.name not in DECIDED_BY_THE_ENDPOINT
    ]
    assert undeclared == [], "declare @signed_in or @role(...) (portal.access), or list the route here with why"


def test_the_lists_of_exceptions_name_routes_that_exist_and_declare_nothing(settings):
    by_name = {route.name: route for route in _site_routes(settings)}
    for name in {**PUBLIC_WRITES, **DECIDED_BY_THE_ENDPOINT}:
        assert name in by_name, name
        assert not getattr(by_name[name].endpoint, "access", ()), f"{name} declares a rule: take it off the list"


def test_every_api_operation_that_writes_needs_a_member(settings):
    api_routes = [route for route in _routes(create_app(settings).routes) if route.path.startswith("/api/v1/")]
    writes = [
        operation for route in api_routes for method, operation in route.endpoint.operations.items() if method in WRITES
    ]
    assert len(writes) >= 5
    assert [f"{op.method} {op.path}" for op in writes if op.access not in (api.SIGNED_IN, api.WRITE)] == []


def test_no_endpoint_checks_sign_in_or_suspension_by_hand():
    """The redirect lives in portal.access (a route that needs a member says @signed_in) and the
    suspension check in SuspensionMiddleware."""
    by_hand = [
        str(path.relative_to(ROOT))
        for package in ("portal", "ideas", "roadmap", "contributors")
        for path in (ROOT / package).rglob("*.py")
        if SIGN_IN_BY_HAND.search(text := path.read_text()) or "refuse_if_suspended(" in text
    ]
    assert by_hand == []


def _page_message(response) -> str:
    return HTMLParser(response.text).css_first(".error-page p").text()


async def test_a_visitor_is_sent_to_sign_in_and_back_to_the_page(visitor):
    response = await visitor.get("/settings/profile")
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=%2Fsettings%2Fprofile"


async def test_a_visitor_who_posts_a_form_comes_back_to_the_page_it_was_on(visitor, person):
    ada = await person("ada")
    idea_id = await ada.submit_idea("Dark mode")
    response = await visitor.post(f"/ideas/{idea_id}/vote", {"vote": "1"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/signin?next=%2Fideas%2F{idea_id}"
    response = await visitor.post("/settings/data/delete", {"confirm_username": "ada"})
    assert response.headers["location"] == "/signin?next=%2Fsettings%2Fdata"


async def test_a_visitor_asking_for_what_is_not_there_hears_so_before_being_asked_to_sign_in(visitor):
    response = await visitor.post("/comments/999/delete", {})
    assert response.status_code == 404
    assert _page_message(response) == "There is no comment with that number."
    response = await visitor.post("/boards/no-such-board/follow", {"follow": "1"})
    assert response.status_code == 404
    assert _page_message(response) == "There is no board at that address."


async def test_a_member_without_the_role_is_refused_with_the_route_s_message(person, visitor):
    await person("ada", role="admin")
    linus = await person("linus")
    for path, message in (
        ("/admin/outbox", "Only admins can read the outbox."),
        ("/admin/webhooks", "Only admins can manage webhooks."),
        ("/admin/export", "Only admins can export the portal."),
        ("/boards/new", "Only maintainers can do this."),
        ("/roadmap/draft", "Only maintainers can do this."),
    ):
        response = await linus.get(path)
        assert response.status_code == 403, path
        assert _page_message(response) == message
    # A visitor is refused too, except where the page first asks them to sign in.
    assert (await visitor.get("/boards/new")).status_code == 403
    assert (await visitor.get("/admin/outbox")).headers["location"] == "/signin?next=%2Fadmin%2Foutbox"


async def test_a_maintainer_may_do_what_maintainers_do_and_not_what_admins_do(person):
    grace = await person("grace", role="maintainer")
    assert (await grace.get("/roadmap/draft")).status_code == 200
    assert (await grace.get("/boards/new")).status_code == 200
    assert (await grace.get("/admin/outbox")).status_code == 403
    ada = await person("ada", role="admin")
    assert (await ada.get("/roadmap/draft")).status_code == 200  # an admin is a maintainer too
    assert (await ada.get("/admin/outbox")).status_code == 200


async def test_a_suspended_member_is_refused_every_write_with_the_reason(app, person):
    ada = await person("ada", role="admin")
    grace = await person("grace", role="maintainer")
    idea_id = await ada.submit_idea("Calm mornings")
    token = await create_token(grace)
    suspended = await ada.post("/moderation/members/grace/suspend", {"days": "3", "note": "Cooling off."})
    assert suspended.status_code == 303
    for path, data in ((f"/ideas/{idea_id}/vote", {"vote": "1"}), ("/boards/new", {"name": "B", "slug": "b"})):
        response = await grace.post(path, data)
        assert response.status_code == 403, path
        message = _page_message(response)
        assert message.startswith("Your account is suspended until ") and message.endswith("Cooling off."), message
    assert (await grace.get("/boards/new")).status_code == 200  # reading is still allowed
    async with api_client(app, token) as script:
        refused = await script.put(f"/api/v1/ideas/{idea_id}/vote")
    assert refused.status_code == 403
    assert error_of(refused)["message"] == message


async def test_the_api_refuses_a_visitor_and_a_member_without_the_role_in_json(app, person):
    ada = await person("ada")
    idea_id = await ada.submit_idea("Dark mode")
    async with api_client(app) as anonymous:
        refused = await anonymous.put(f"/api/v1/ideas/{idea_id}/vote")
    assert refused.status_code == 401
    assert error_of(refused)["message"] == api.API_SIGN_IN
    async with api_client(app, await create_token(ada)) as script:
        refused = await script.post(f"/api/v1/ideas/{idea_id}/status", json={"status": "planned", "note": "Yes."})
    assert refused.status_code == 403
    assert error_of(refused) == {"message": "Only maintainers can do this.", "field": None}


async def test_not_found_is_the_error_page_on_the_site_and_a_json_error_on_the_api(app, visitor):
    for path, message in (
        ("/ideas/999", "There is no idea with that number."),
        ("/boards/no-such-board", "There is no board at that address."),
        ("/people/nobody", "There is no member with that username."),
        ("/releases/999", "There is no such release."),
        ("/roadmap/publications/999", "There is no such roadmap publication."),
    ):
        response = await visitor.get(path)
        assert response.status_code == 404, path
        assert _page_message(response) == message
    async with api_client(app) as anonymous:
        for path, message in (
            ("/api/v1/ideas/999", "There is no idea with that number."),
            ("/api/v1/boards/no-such-board", "There is no board at that address."),
            ("/api/v1/releases/999", "There is no such release."),
        ):
            response = await anonymous.get(path)
            assert response.status_code == 404, path
            assert error_of(response) == {"message": message, "field": None}


async def test_the_decorators_stack_and_record_their_rules():
    @access.signed_in
    @access.role("admin", "Admins only.")
    async def endpoint(request):
        raise AssertionError("not called in this test")

    assert endpoint.access == ("signed_in", "role:admin")
    assert endpoint.__name__ == "endpoint"
    with pytest.raises(KeyError):
        access.role("founder")
