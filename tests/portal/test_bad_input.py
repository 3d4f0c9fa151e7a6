"""No input, however malformed, makes the server answer 500."""

import pytest

from tests.pages import has, shown, values


@pytest.fixture
async def token(visitor) -> str:
    page = await visitor.get("/signup")
    return values(page)["csrf_token"]


FORM = {"content-type": "application/x-www-form-urlencoded"}


async def test_malformed_bodies_and_parameters_get_clear_answers_not_500s(visitor, token, person):
    linus = await person("linus")
    idea_id = await linus.submit_idea("Something to poke at")
    cases = [
        ("POST", "/signup", {"content": f"csrf_token={token}&username=%FF%FE&email=%00&password=%C0", "headers": FORM}),
        ("POST", "/signup", {"content": b"\xff\xfe\x00garbage", "headers": FORM}),
        (
            "POST",
            "/signup",
            {
                "content": b'--xx\r\nContent-Disposition: form-data; name="a"\r\n\r\nbroken',
                "headers": {"content-type": "multipart/form-data; boundary=xx"},
            },
        ),
        (
            "POST",
            "/signup",
            {"content": b'{"username": 1}', "headers": {"content-type": "application/json", "x-csrf-token": token}},
        ),
        ("POST", "/signin", {"content": f"csrf_token={token}&login=%FF&password=%00", "headers": FORM}),
        ("GET", "/?sort=%FF", {}),
        ("GET", "/?after=%00", {}),
        ("GET", f"/ideas/{idea_id}?after=x", {}),
        ("GET", "/signin?next=%FF%00", {}),
        ("PUT", "/", {"headers": {"x-csrf-token": token}}),
        ("GET", f"/ideas/{idea_id}/vote", {}),
        ("GET", "/static/%2e%2e/pyproject.toml", {}),
        ("POST", "/signin", {"content": "csrf_token=%C3%A9", "headers": FORM}),
        ("POST", "/signin", {"content": "login=x", "headers": {**FORM, "x-csrf-token": "é".encode()}}),
        ("GET", "/?author=%00", {}),
        ("GET", "/?author=" + "x" * 500, {}),
        ("GET", "/boards/%00", {}),
        ("GET", "/boards/" + "a" * 300, {}),
        ("GET", "/?sort=updated&after=99999999999999999999_1", {}),
        ("GET", "/?sort=trending&after=nan_1", {}),
        ("GET", "/?sort=trending&after=inf_1", {}),
        ("GET", "/?status=%00", {}),
    ]
    for method, path, options in cases:
        response = await visitor.client.request(method, path, **options)
        assert response.status_code < 500, (method, path, response.status_code)
        assert has(response, "h1"), (method, path)

    await linus.get("/")
    odd_vote = await linus.client.post(
        f"/ideas/{idea_id}/vote", content=f"csrf_token={linus.csrf}&vote=%FF", headers=FORM
    )
    assert odd_vote.status_code == 400 and "vote=1" in shown(odd_vote)


async def test_odd_characters_in_forms_are_cleaned_or_refused_never_a_500(person, db):
    linus = await person("linus")
    grace = await person("grace", role="maintainer")
    await linus.get("/ideas/new")
    nul_board = await linus.post(
        "/ideas/new", {"title": "A board with a NUL", "board": "gen\x00eral", "confirmed": "1"}
    )
    assert nul_board.status_code in (303, 400)
    utf7 = await linus.client.post(
        "/ideas/new",
        content=(
            b'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n' + linus.csrf.encode() + b"\r\n"
            b'--b\r\nContent-Disposition: form-data; name="title"\r\nContent-Type: text/plain; charset=utf-7\r\n\r\n'
            b"Surrogate +2AA- here\r\n--b--\r\n"
        ),
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert utf7.status_code in (303, 400)
    email = await linus.post(
        "/signup", {"username": "turkish", "email": "İ" * 240 + "@a.bc", "password": "long enough pw"}
    )
    assert email.status_code == 400 and "at most 254 characters" in shown(email)
    for board in ({"name": "Numbers", "position": "²"}, {"name": "Budget", "vote_budget": "²"}):
        response = await grace.post("/boards/new", board)
        assert response.status_code == 400 and "whole number" in shown(response)
    far = await grace.post(
        "/boards/new",
        {"name": "Far", "campaign_question": "When?", "opens_at": "2027-01-01", "closes_at": "9999-12-31"},
    )
    assert far.status_code == 400 and "between the years 2000 and 9000" in shown(far)
    reserved = await grace.post("/boards/new", {"name": "New"})
    assert reserved.status_code == 400 and "taken by the site itself" in shown(reserved)


async def test_a_client_that_leaves_before_sending_its_form_gets_no_answer_and_no_error(app):
    sent: list[dict] = []

    async def receive():
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/signin",
        "raw_path": b"/signin",
        "query_string": b"",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded"), (b"host", b"testserver")],
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1234),
        "root_path": "",
        "http_version": "1.1",
        "app": app,
    }
    await app(scope, receive, send)
    assert sent == []
