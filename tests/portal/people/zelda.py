"""Zelda, who signs up, takes part, then deletes her account: the member whose traces tests look for."""

from tests.people import PASSWORD

ZELDA = {"username": "zeldaquux", "email": "zelda.private@example.net", "display_name": "Zelda Quux-Marlowe"}


async def sign_up_zelda(visitor) -> None:
    await visitor.get("/signup")
    response = await visitor.post("/signup", {**ZELDA, "password": PASSWORD})
    assert response.status_code == 303
    await visitor.get("/settings/profile")  # a signed-in page, for the new session's form token
