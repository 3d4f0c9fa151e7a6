"""The API's shell: JSON errors for every kind of bad request, and the OpenAPI document as the source of truth."""

import re

import httpx
import sqlalchemy as sa
from openapi_spec_validator import validate
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from starlette.routing import Route

from ideas.tables import ideas
from portal import markdown
from tests.api_client import api_client, create_token, error_of
from tests.apps import make_settings
from tests.pages import links, shown, texts, tree


async def _idea_count(db) -> int:
    return await db.fetch_val(sa.select(sa.func.count()).select_from(ideas))


async def test_bad_requests_get_a_json_error_naming_the_field_and_change_nothing(app, db, person):
    ada = await person("ada")
    async with api_client(app, await create_token(ada)) as script:
        cases = [
            (
                dict(content=b'{"title": "Dark', headers={"content-type": "application/json"}),
                400,
                None,
                "not valid JSON",
            ),
            (dict(content=b"[1, 2]", headers={"content-type": "application/json"}), 400, None, "JSON object"),
            (dict(content=b'{"title": NaN}', headers={"content-type": "application/json"}), 400, None, "NaN"),
            (dict(data={"title": "A form post"}), 415, None, "application/json"),
            (dict(json={"title": "A fine title", "priority": "high"}), 400, "priority", "Unknown field 'priority'"),
            (dict(json={"title": 12345}), 400, "title", "must be a string"),
            (dict(json={"body": "no title"}), 400, "title", "required"),
            (dict(json={"title": "Tiny"}), 400, "title", "at least 5 characters"),
            (dict(json={"title": "x" * 201}), 400, "title", "at most 200 characters"),
            (dict(json={"title": "A good title", "board": "nowhere"}), 400, "board", "Choose one of the boards"),
            (dict(json={"title": "A good title", "body": "x" * 300_000}), 413, None, "too large"),
            (dict(content=b"[" * 100_000, headers={"content-type": "application/json"}), 400, None, "not valid"),
        ]
        for kwargs, status, field, words in cases:
            response = await script.post("/api/v1/ideas", **kwargs)
            assert response.status_code == status, (kwargs, response.text)
            error = error_of(response)
            assert error["field"] == field and words in error["message"], (kwargs, error)

        missing = await script.get("/api/v1/no/such/thing")
        assert missing.status_code == 404 and error_of(missing)["message"]
        wrong_method = await script.delete("/api/v1/ideas")
        assert wrong_method.status_code == 405 and error_of(wrong_method)
        assert set(wrong_method.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
        no_idea = await script.get("/api/v1/ideas/99999")
        assert no_idea.status_code == 404 and error_of(no_idea)["message"] == "There is no idea with that number."
        bad_sort = await script.get("/api/v1/ideas?sort=loudest")
        assert bad_sort.status_code == 400 and "Unknown order" in error_of(bad_sort)["message"]
    assert await _idea_count(db) == 0
    # The pages keep their HTML errors.
    assert "text/html" in (await ada.get("/no/such/page")).headers["content-type"]


async def test_the_body_limit_is_a_setting(tmp_path, database_url):
    from portal.app import create_app
    from tests.people import Person

    app = create_app(make_settings(database_url, tmp_path, API_MAX_BODY_BYTES="200"))
    async with app.router.lifespan_context(app):
        ada = await Person.create(app, "ada")
        await ada.sign_in()
        async with api_client(app, await create_token(ada)) as script:
            fits = await script.post("/api/v1/ideas", json={"title": "Short enough"})
            too_big = await script.post("/api/v1/ideas", json={"title": "Short enough", "body": "b" * 200})
        await ada.close()
    assert fits.status_code == 201
    assert too_big.status_code == 413 and "at most 200 bytes" in error_of(too_big)["message"]


async def test_the_openapi_document_describes_every_api_route_and_method(app, visitor):
    response = await visitor.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises, naming the part at fault, if it is not a valid OpenAPI 3.1 document
    assert set(document["components"]["securitySchemes"]) == {"bearerAuth", "cookieAuth"}

    served = {}
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith("/api/v1/"):
            path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
            served[path] = {method.lower() for method in route.methods if method != "HEAD"}
    described = {path: set(methods) for path, methods in document["paths"].items()}
    assert served == described
    assert len(described) >= 12

    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            assert operation["summary"] and operation["security"], (path, method)
            codes = set(operation["responses"])
            assert "401" in codes and any(code.startswith("2") for code in codes), (path, method)
            for code, answer in operation["responses"].items():
                if code != "204":
                    assert answer["content"]["application/json"]["schema"]["$ref"].startswith("#/components/schemas/")
            if "{" in path:
                assert "404" in codes
            if method in ("post", "put", "patch", "delete"):
                assert "403" in codes
            if "requestBody" in operation:
                schema = operation["requestBody"]["content"]["application/json"]["schema"]
                assert schema["additionalProperties"] is False
                assert {"400", "413", "415"} <= codes


async def test_the_api_page_shows_every_endpoint_from_the_document_without_outside_scripts(visitor):
    home = await visitor.get("/")
    assert "/api" in links(home)
    page = await visitor.get("/api")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    document = (await visitor.get("/api/v1/openapi.json")).json()
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            assert f"{method.upper()} {path}" in shown(page)
            for parameter in operation["parameters"]:
                assert parameter["name"] in texts(page, "code")
    assert "Example body:" in shown(page) and "Authorization: Bearer" in shown(page)
    assert not [src for src in tree(page).css("script[src]") if re.match(r"(https?:)?//", src.attributes["src"])]


async def test_the_api_page_shows_code_in_descriptions_as_code_not_backticks(visitor):
    page = HTMLParser((await visitor.get("/api")).text)
    doc = page.css_first("section.api-doc")
    with_backticks = [node.text() for node in doc.css("p, dd, td, li, div") if "`" in node.text(deep=False)]
    assert with_backticks == []
    cursor = next(
        node for node in doc.css("table td") if "previous page" in node.text() and node.css_first("code") is not None
    )
    assert cursor.css_first("code").text() == "next_cursor"


async def test_the_api_page_renders_its_descriptions_once_not_on_every_visit(visitor, monkeypatch):
    # The document is fixed while the process runs: ~150 descriptions through Markdown and the
    # sanitizer on every visit cost tens of milliseconds of CPU for the same HTML each time.
    first = await visitor.get("/api")
    rendered = []
    render = markdown._plain_renderer.render
    monkeypatch.setattr(markdown._plain_renderer, "render", lambda text: rendered.append(text) or render(text))
    second = await visitor.get("/api")
    assert second.status_code == 200 and second.text == first.text
    assert rendered == []


async def test_a_server_error_on_the_api_is_answered_in_json(app, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr("ideas.board_queries.list_boards", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as script:
        response = await script.get("/api/v1/boards")
    assert response.status_code == 500
    assert "fire" not in response.text and error_of(response)["message"].startswith("Something went wrong")
