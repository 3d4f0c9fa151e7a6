"""What the contributors' tests do again and again, as the people in them."""

import re

REPO_LOCATION = re.compile(r"/repos/(\d+)$")


async def link(someone, url: str, kind: str = "contribution") -> int:
    response = await someone.post("/repos/new", {"url": url, "kind": kind})
    assert response.status_code == 303, response.text
    return int(REPO_LOCATION.search(response.headers["location"]).group(1))
