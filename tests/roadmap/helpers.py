"""What the roadmap's tests do again and again, as the people in them."""


async def draft(maintainer, idea_id, column, position=0, milestone="", note=""):
    response = await maintainer.post(
        "/roadmap/draft/items",
        {"idea": f"#{idea_id}", "column": column, "position": str(position), "milestone": milestone, "note": note},
    )
    assert response.status_code == 303, response.text
    return response
