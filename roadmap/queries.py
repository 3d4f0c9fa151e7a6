"""Reads and writes of the roadmap, milestones and releases: the only place their SQL lives."""

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ideas import queries as idea_queries
from ideas.tables import CLOSED_STATUSES, boards, idea_follows, ideas, votes
from portal import errors
from portal.accounts.tables import users
from portal.db import Database, utcnow
from portal.notifications.queries import About, notify
from portal.statements import kept
from portal.webhooks import queries as webhook_queries
from roadmap.tables import (
    computed_figures,
    milestones,
    release_ideas,
    releases,
    roadmap_follows,
    roadmap_items,
    roadmap_publications,
)

COLUMN_LIMIT = 50
RECENT = timedelta(days=90)


class EmptyDraft(Exception):
    pass


class VersionTaken(Exception):
    pass


class NameTaken(Exception):
    pass


class NotFound(errors.NotFound):
    """The message says what is missing."""

    def __init__(self, message: str) -> None:
        super().__init__(message=message)


def _idea_columns() -> list:
    return [
        ideas.c.id,
        ideas.c.title,
        ideas.c.status,
        ideas.c.vote_count,
        ideas.c.comment_count,
        ideas.c.author_id,
        boards.c.slug.label("board_slug"),
        boards.c.name.label("board_name"),
    ]


async def live_columns(db: Database, *, board_id: int | None = None) -> dict[str, list[Any]]:
    """Planned, in progress and recently shipped ideas, each column by votes (ties: newest).

    Everyone's ideas follow the same rule: no pinning by role.
    """
    since = utcnow() - RECENT
    columns: dict[str, list[Any]] = {}
    for status in ("planned", "in_progress", "shipped"):
        if board_id is None:
            statement = _column(status, since)
        else:
            statement = _board_column(status, since, board_id)
        columns[status] = await db.fetch_all(*statement)
    return columns


@kept
def _column(status: str, since: datetime) -> sa.Select:
    query = (
        sa.select(*_idea_columns(), milestones.c.name.label("milestone"), milestones.c.target_date)
        .select_from(
            ideas.join(boards, boards.c.id == ideas.c.board_id)
            .outerjoin(roadmap_items, roadmap_items.c.idea_id == ideas.c.id)
            .outerjoin(milestones, milestones.c.id == roadmap_items.c.milestone_id)
        )
        # A hidden idea leaves the public roadmap (moderators still see it on its own page).
        .where(ideas.c.status == status, ideas.c.hidden_at.is_(None))
        .order_by(ideas.c.vote_count.desc(), ideas.c.id.desc())
        .limit(COLUMN_LIMIT)
    )
    # Shipped ideas stay in their column for RECENT after they last changed.
    return query.where(sa.or_(status != "shipped", ideas.c.updated_at >= since))


@kept
def _board_column(status: str, since: datetime, board_id: int) -> sa.Select:
    return _column.__wrapped__(status, since).where(ideas.c.board_id == board_id)


async def draft_items(db: Database) -> list[Any]:
    return await db.fetch_all(
        sa.select(
            roadmap_items,
            *_idea_columns()[1:],
            milestones.c.name.label("milestone"),
            milestones.c.target_date,
        )
        .select_from(
            roadmap_items.join(ideas, ideas.c.id == roadmap_items.c.idea_id)
            .join(boards, boards.c.id == ideas.c.board_id)
            .outerjoin(milestones, milestones.c.id == roadmap_items.c.milestone_id)
        )
        .order_by(roadmap_items.c.column, roadmap_items.c.position, roadmap_items.c.idea_id)
    )


async def put_draft_item(
    db: Database, *, idea_id: int, column: str, position: int, milestone_id: int | None, note: str
) -> None:
    """Add an idea to the draft or change its place; raises NotFound for an unknown idea or milestone."""
    async with db.transaction():
        if await db.fetch_one(sa.select(ideas.c.id).where(ideas.c.id == idea_id)) is None:
            raise NotFound(f"There is no idea #{idea_id}.")
        if milestone_id is not None and (
            await db.fetch_one(sa.select(milestones.c.id).where(milestones.c.id == milestone_id)) is None
        ):
            raise NotFound("There is no such milestone.")
        values = {"column": column, "position": position, "milestone_id": milestone_id, "note": note}
        await db.execute(
            db.insert(roadmap_items)
            .values(idea_id=idea_id, **values)
            .on_conflict_do_update(index_elements=["idea_id"], set_=values)
        )


async def remove_draft_item(db: Database, idea_id: int) -> None:
    await db.execute(roadmap_items.delete().where(roadmap_items.c.idea_id == idea_id))


async def publish(db: Database, *, actor_id: int, summary: str, summary_html: str) -> int:
    """Keep a copy of the draft as a publication and tell the roadmap's followers."""
    async with db.transaction():
        items = await draft_items(db)
        if not items:
            raise EmptyDraft()
        snapshot = [
            {
                "idea_id": item["idea_id"],
                "title": item["title"],
                "column": item["column"],
                "position": item["position"],
                "milestone": item["milestone"],
                "target_date": item["target_date"].isoformat() if item["target_date"] else None,
                "note": item["note"],
            }
            for item in items
        ]
        publication_id = await db.fetch_val(
            roadmap_publications.insert()
            .values(
                published_by_id=actor_id,
                summary=summary,
                summary_html=summary_html,
                items=snapshot,
                published_at=utcnow(),
            )
            .returning(roadmap_publications.c.id)
        )
        await notify(
            db,
            sa.select(roadmap_follows.c.user_id).where(roadmap_follows.c.user_id != actor_id),
            kind="roadmap",
            actor_id=actor_id,
            subject=f"published the roadmap: {summary.splitlines()[0][:200]}",
            path=f"/roadmap/publications/{publication_id}",
            about=None,
        )

        async def publication() -> dict[str, Any]:
            return {
                "type": "roadmap_publication",
                "id": publication_id,
                "summary": summary,
                "items": snapshot,
                "path": f"/roadmap/publications/{publication_id}",
            }

        await webhook_queries.emit(db, "roadmap.published", publication)
        return publication_id


async def list_publications(db: Database, *, limit: int = 100, before: int | None = None) -> list[Any]:
    """Publications, newest first; `before` an id to page on from (keyset)."""
    query = (
        sa.select(roadmap_publications, users.c.display_name.label("publisher"))
        .select_from(roadmap_publications.outerjoin(users, users.c.id == roadmap_publications.c.published_by_id))
        .order_by(roadmap_publications.c.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(roadmap_publications.c.id < before)
    return await db.fetch_all(query)


async def get_publication(db: Database, publication_id: int) -> Any:
    row = await db.fetch_one(
        sa.select(roadmap_publications, users.c.display_name.label("publisher"))
        .select_from(roadmap_publications.outerjoin(users, users.c.id == roadmap_publications.c.published_by_id))
        .where(roadmap_publications.c.id == publication_id)
    )
    if row is None:
        raise NotFound("There is no such roadmap publication.")
    return row


async def previous_publication_id(db: Database, publication_id: int) -> int | None:
    return await db.fetch_val(
        sa.select(sa.func.max(roadmap_publications.c.id)).where(roadmap_publications.c.id < publication_id)
    )


@kept
def _latest_publication() -> sa.Select:
    return sa.select(sa.func.max(roadmap_publications.c.id))


async def latest_publication(db: Database) -> Any | None:
    publication_id = await db.fetch_val(*_latest_publication())
    return await get_publication(db, publication_id) if publication_id else None


async def live_ideas(db: Database, idea_ids: list[int]) -> dict[int, Any]:
    """Current votes, status and board of the ideas a publication lists, in one query."""
    if not idea_ids:
        return {}
    rows = await db.fetch_all(
        sa.select(*_idea_columns()).join(boards, boards.c.id == ideas.c.board_id).where(ideas.c.id.in_(idea_ids))
    )
    return {row["id"]: row for row in rows}


async def set_roadmap_follow(db: Database, user_id: int, following: bool) -> None:
    if following:
        await db.execute(
            db.insert(roadmap_follows).values(user_id=user_id, created_at=utcnow()).on_conflict_do_nothing()
        )
    else:
        await db.execute(roadmap_follows.delete().where(roadmap_follows.c.user_id == user_id))


async def follows_roadmap(db: Database, user_id: int) -> bool:
    return (
        await db.fetch_one(sa.select(roadmap_follows.c.user_id).where(roadmap_follows.c.user_id == user_id)) is not None
    )


async def list_milestones(db: Database) -> list[Any]:
    return await db.fetch_all(sa.select(milestones).order_by(milestones.c.target_date, milestones.c.id))


async def create_milestone(db: Database, *, name: str, target_date: date, description: str) -> int:
    async with db.transaction():
        if await db.fetch_one(sa.select(milestones.c.id).where(milestones.c.name == name)) is not None:
            raise NameTaken(name)
        return await db.fetch_val(
            milestones.insert()
            .values(name=name, target_date=target_date, description=description, created_at=utcnow())
            .returning(milestones.c.id)
        )


async def update_milestone(db: Database, milestone_id: int, *, name: str, target_date: date, description: str) -> None:
    async with db.transaction():
        if await db.fetch_one(
            sa.select(milestones.c.id).where(milestones.c.name == name, milestones.c.id != milestone_id)
        ):
            raise NameTaken(name)
        updated = await db.fetch_one(
            milestones.update()
            .where(milestones.c.id == milestone_id)
            .values(name=name, target_date=target_date, description=description)
            .returning(milestones.c.id)
        )
        if updated is None:
            raise NotFound("There is no such milestone.")


async def create_release(
    db: Database, *, version: str, released_on: date, notes: str, notes_html: str, idea_ids: list[int]
) -> int:
    """A draft release with the ideas it will ship; raises VersionTaken or NotFound, writing nothing."""
    async with db.transaction():
        if await db.fetch_one(sa.select(releases.c.id).where(releases.c.version == version)) is not None:
            raise VersionTaken(version)
        found = await db.fetch_all(sa.select(ideas.c.id, ideas.c.status).where(ideas.c.id.in_(idea_ids)))
        missing = set(idea_ids) - {row["id"] for row in found}
        if missing:
            raise NotFound(f"There is no idea #{min(missing)}.")
        merged = [row["id"] for row in found if row["status"] == "duplicate"]
        if merged:
            raise NotFound(f"Idea #{merged[0]} was merged into another; list that one instead.")
        release_id = await db.fetch_val(
            releases.insert()
            .values(version=version, released_on=released_on, notes=notes, notes_html=notes_html, created_at=utcnow())
            .returning(releases.c.id)
        )
        if idea_ids:
            await db.execute(
                release_ideas.insert().values([{"release_id": release_id, "idea_id": i} for i in idea_ids])
            )
        return release_id


async def get_release(db: Database, release_id: int) -> Any:
    row = await db.fetch_one(sa.select(releases).where(releases.c.id == release_id))
    if row is None:
        raise NotFound("There is no such release.")
    return row


async def ship_release(db: Database, *, release_id: int, actor_id: int) -> None:
    """Mark the release's ideas Shipped and tell their followers and voters, all in one transaction."""
    async with db.transaction():
        release = await db.fetch_one(
            sa.select(releases).where(releases.c.id == release_id).with_for_update(key_share=True)
        )
        if release is None:
            raise NotFound("There is no such release.")
        if release["shipped_at"] is not None:
            raise VersionTaken(release["version"])
        idea_ids = [
            row["idea_id"]
            for row in await db.fetch_all(
                sa.select(release_ideas.c.idea_id).where(release_ideas.c.release_id == release_id)
            )
        ]
        note = f"Shipped in {release['version']}."
        for idea_id in idea_ids:
            try:
                await idea_queries.change_status(
                    db,
                    idea_id=idea_id,
                    actor_id=actor_id,
                    status="shipped",
                    note=note,
                    note_html=f"<p>{note}</p>",
                    announce=False,
                )
            except idea_queries.StatusUnchanged:
                pass
            audience = sa.union(
                sa.select(idea_follows.c.user_id).where(
                    idea_follows.c.idea_id == idea_id, idea_follows.c.following == sa.true()
                ),
                sa.select(votes.c.user_id).where(votes.c.idea_id == idea_id),
            ).subquery()
            title = await idea_queries.title_of(db, idea_id)
            await notify(
                db,
                sa.select(audience.c.user_id).where(audience.c.user_id != actor_id),
                kind="release",
                actor_id=actor_id,
                subject=f"shipped “{title}” in {release['version']}",
                path=f"/ideas/{idea_id}",
                about=About("idea", idea_id),
            )
        await db.execute(releases.update().where(releases.c.id == release_id).values(shipped_at=utcnow()))

        async def shipped_release() -> dict[str, Any]:
            return {
                "type": "release",
                "id": release_id,
                "version": release["version"],
                "released_on": release["released_on"].isoformat(),
                "notes": release["notes"],
                "idea_ids": idea_ids,
                "path": f"/releases/{release_id}",
            }

        await webhook_queries.emit(db, "release.published", shipped_release)
        await db.execute(computed_figures.delete().where(computed_figures.c.name == "responsiveness"))


async def list_releases(db: Database, *, shipped_only: bool = True, limit: int = 50) -> list[Any]:
    query = sa.select(releases).order_by(releases.c.released_on.desc(), releases.c.id.desc()).limit(limit)
    if shipped_only:
        query = query.where(releases.c.shipped_at.is_not(None))
    return await db.fetch_all(query)


async def ideas_of_releases(db: Database, release_ids: list[int]) -> dict[int, list[Any]]:
    """The ideas each release ships, with their votes, in one query."""
    if not release_ids:
        return {}
    rows = await db.fetch_all(
        sa.select(release_ideas.c.release_id, ideas.c.id, ideas.c.title, ideas.c.vote_count, ideas.c.comment_count)
        .join(ideas, ideas.c.id == release_ideas.c.idea_id)
        .where(release_ideas.c.release_id.in_(release_ids), ideas.c.hidden_at.is_(None))
        .order_by(ideas.c.vote_count.desc(), ideas.c.id.desc())
    )
    found: dict[int, list[Any]] = {}
    for row in rows:
        found.setdefault(row["release_id"], []).append(row)
    return found


FIGURES_MAX_AGE = timedelta(minutes=10)


async def responsiveness(db: Database, *, now=None, fresh: bool = False) -> dict[str, Any]:
    """The responsiveness figures, computed at most every 10 minutes and kept in the database."""
    now = now or utcnow()
    if not fresh:
        kept = await db.fetch_one(sa.select(computed_figures).where(computed_figures.c.name == "responsiveness"))
        if kept is not None and now - kept["computed_at"] < FIGURES_MAX_AGE:
            return _figures_from_json(kept["value"])
    figures = await compute_responsiveness(db, now=now)
    stored = {
        **figures,
        "median_response": figures["median_response"].total_seconds()
        if figures["median_response"] is not None
        else None,
    }
    await db.execute(
        db.insert(computed_figures)
        .values(name="responsiveness", value=stored, computed_at=now)
        .on_conflict_do_update(index_elements=["name"], set_={"value": stored, "computed_at": now})
    )
    return figures


def _figures_from_json(value: dict) -> dict[str, Any]:
    seconds = value["median_response"]
    return {
        **value,
        "median_response": timedelta(seconds=seconds) if seconds is not None else None,
        "shipped_per_release": [tuple(pair) for pair in value["shipped_per_release"]],
    }


def _wait_seconds(db: Database) -> sa.ColumnElement:
    if db.is_sqlite:
        return (sa.func.julianday(ideas.c.first_response_at) - sa.func.julianday(ideas.c.created_at)) * 86400.0
    return sa.func.extract("epoch", ideas.c.first_response_at - ideas.c.created_at)


async def compute_responsiveness(db: Database, *, now) -> dict[str, Any]:
    """Figures for the last 90 days, from stored timestamps, computed in the database.

    - median_response: median time from an idea's creation to its first maintainer response, over
      ideas created in the last 90 days that have one (waiting: how many have none yet);
    - answered_share: the share of the 50 most-voted ideas still in play that have a response;
    - shipped_per_release: ideas shipped by each release of the last 90 days.
    """
    since = now - RECENT
    recent = sa.and_(ideas.c.created_at >= since)
    counts = await db.fetch_one(
        sa.select(sa.func.count().label("ideas"), sa.func.count(ideas.c.first_response_at).label("answered")).where(
            recent
        )
    )
    answered_count = counts["answered"]
    median_response = None
    if answered_count:
        wait = _wait_seconds(db).label("wait")
        middle = await db.fetch_all(
            sa.select(wait)
            .where(recent, ideas.c.first_response_at.is_not(None))
            .order_by(wait)
            .offset((answered_count - 1) // 2)
            .limit(2 - answered_count % 2)
        )
        # Whole seconds: julianday() arithmetic is a float.
        median_response = timedelta(seconds=round(sum(float(row["wait"]) for row in middle) / len(middle)))
    top = await db.fetch_all(
        sa.select(ideas.c.first_response_at)
        .where(ideas.c.status.not_in(CLOSED_STATUSES))
        .order_by(ideas.c.vote_count.desc(), ideas.c.id.desc())
        .limit(50)
    )
    answered = sum(1 for row in top if row["first_response_at"] is not None)
    shipped = await db.fetch_all(
        sa.select(releases.c.version, sa.func.count(release_ideas.c.idea_id).label("ideas"))
        .select_from(releases.outerjoin(release_ideas, release_ideas.c.release_id == releases.c.id))
        .where(releases.c.shipped_at.is_not(None), releases.c.shipped_at >= since)
        .group_by(releases.c.id, releases.c.version, releases.c.released_on)
        .order_by(releases.c.released_on.desc(), releases.c.id.desc())
    )
    return {
        "median_response": median_response,
        "answered": answered_count,
        "waiting": counts["ideas"] - answered_count,
        "answered_share": answered / len(top) if top else None,
        "top_count": len(top),
        "shipped_per_release": [(row["version"], row["ideas"]) for row in shipped],
    }
