"""No input, however malformed, makes the server answer 500."""

import re

import pytest


@pytest.fixture
async def token(visitor) -> str:
    page = await visitor.get("/signup")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


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
    ]
    for method, path, options in cases:
        response = await visitor.client.request(method, path, **options)
        assert response.status_code < 500, (method, path, response.status_code)
        assert "<h1>" in response.text, (method, path)

    await linus.get("/")
    odd_vote = await linus.client.post(
        f"/ideas/{idea_id}/vote", content=f"csrf_token={linus.csrf}&vote=%FF", headers=FORM
    )
    assert odd_vote.status_code == 400 and "vote=1" in odd_vote.text
