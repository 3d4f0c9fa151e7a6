"""Steps the discussion stories share."""

import re

import sqlalchemy as sa

from portal.notifications.tables import notifications

_THREAD_LOCATION = re.compile(r"/discussions/(\d+)$")
_REPLY_LOCATION = re.compile(r"#reply-(\d+)$")


async def start_thread(someone, title: str, body: str = "Some words.", category: str = "q-and-a", **extra) -> int:
    response = await someone.post("/discussions/new", {"title": title, "body": body, "category": category, **extra})
    assert response.status_code == 303, response.text
    match = _THREAD_LOCATION.search(response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


async def reply(someone, thread_id: int, body: str) -> int:
    response = await someone.post(f"/discussions/{thread_id}/replies", {"body": body})
    assert response.status_code == 303, response.text
    return int(_REPLY_LOCATION.search(response.headers["location"]).group(1))


async def subjects(db, someone) -> list[str]:
    rows = await db.fetch_all(
        sa.select(notifications.c.subject).where(notifications.c.user_id == someone.id).order_by(notifications.c.id)
    )
    return [row["subject"] for row in rows]
