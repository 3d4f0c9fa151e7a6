"""Upgrading a database that already holds data keeps it whole."""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from portal import schema


def _insert_ada(connection: sa.Connection, now: datetime) -> None:
    """Member 1, as every schema since the first stores one."""
    connection.execute(
        sa.text(
            "INSERT INTO users (id, username, email, display_name, role, is_founder, created_at)"
            " VALUES (1, 'ada', 'ada@example.org', 'Ada', 'member', false, :now)"
        ),
        {"now": now},
    )


def test_upgrading_from_the_first_schema_files_old_ideas_on_the_default_board(empty_database_url):
    url = empty_database_url
    config = schema.alembic_config(url)
    command.upgrade(config, "0001")
    engine = sa.create_engine(schema.sync_url(url))
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as connection:
        _insert_ada(connection, now)
        connection.execute(
            sa.text(
                "INSERT INTO ideas (id, author_id, title, body, body_html, status, vote_count, comment_count,"
                " created_at, updated_at) VALUES (1, 1, 'Old idea', '', '', 'open', 1, 0, :now, :now)"
            ),
            {"now": now},
        )
        connection.execute(
            sa.text("INSERT INTO votes (idea_id, user_id, created_at) VALUES (1, 1, :now)"), {"now": now}
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        idea = connection.execute(sa.text("SELECT board_id, trending_score FROM ideas WHERE id = 1")).one()
        board = connection.execute(sa.text("SELECT slug, idea_count FROM boards WHERE id = 1")).one()
    engine.dispose()
    assert idea.board_id == 1 and idea.trending_score > 0
    assert tuple(board) == ("general", 1)


def test_notifications_stored_before_0017_learn_what_they_are_about_and_hide_hidden_titles(empty_database_url):
    url = empty_database_url
    config = schema.alembic_config(url)
    command.upgrade(config, "0016")
    engine = sa.create_engine(schema.sync_url(url))
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as connection:
        _insert_ada(connection, now)
        for idea_id, hidden_at in ((7, None), (12, now)):
            connection.execute(
                sa.text(
                    "INSERT INTO ideas (id, board_id, author_id, title, body, body_html, status, created_at,"
                    " updated_at, hidden_at) VALUES (:id, 1, 1, 'An idea', '', '', 'open', :now, :now, :hidden_at)"
                ),
                {"id": idea_id, "now": now, "hidden_at": hidden_at},
            )
        for number, path in enumerate(["/ideas/7", "/ideas/12#comment-3", "/discussions/5#reply-9", "/roadmap"], 1):
            connection.execute(
                sa.text(
                    "INSERT INTO notifications (id, user_id, kind, subject, path, created_at)"
                    " VALUES (:id, 1, 'idea', 'shared a new idea', :path, :now)"
                ),
                {"id": number, "path": path, "now": now},
            )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT path, about_kind, about_id, hidden FROM notifications ORDER BY id")
        ).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [
        ("/ideas/7", "idea", 7, False),
        ("/ideas/12#comment-3", "idea", 12, True),
        ("/discussions/5#reply-9", "thread", 5, False),
        ("/roadmap", None, None, False),
    ]


def test_notifications_stored_before_0025_say_what_they_are_about_as_their_links_did(empty_database_url):  # noqa: F811
    # As 0017 and the code since stored them.
    stored = [
        ("/ideas/7", "idea:7"),
        ("/ideas/12#comment-3", "idea:12"),
        ("/discussions/5#reply-19", "thread:5"),
        ("/roadmap/publications/2", None),
        ("/discussions/40", "thread:40"),
    ]
    insert = sa.text(
        "INSERT INTO notifications (id, user_id, kind, subject, path, about, created_at)"
        " VALUES (:id, 1, 'comment', 'commented', :path, :about, :now)"
    )
    config = schema.alembic_config(empty_database_url)
    command.upgrade(config, "0024")
    engine = sa.create_engine(schema.sync_url(empty_database_url))
    with engine.begin() as connection:
        now = datetime.now(UTC).replace(tzinfo=None)
        _insert_ada(connection, now)
        for number, (path, about) in enumerate(stored, 1):
            connection.execute(insert, {"id": number, "path": path, "about": about, "now": now})

    command.upgrade(config, "head")
    with engine.connect() as connection:
        what = "SELECT about_kind, about_id, post_kind, post_id FROM notifications ORDER BY id"
        rows = [tuple(row) for row in connection.execute(sa.text(what))]
    assert rows == [
        ("idea", 7, None, None),
        ("idea", 12, "comment", 3),
        ("thread", 5, "reply", 19),
        (None, None, None, None),
        ("thread", 40, None, None),
    ]
    command.downgrade(config, "0024")
    with engine.connect() as connection:
        about = connection.execute(sa.text("SELECT about FROM notifications ORDER BY id")).scalars().all()
    engine.dispose()
    assert about == [about for _, about in stored]


def test_the_migrations_build_exactly_the_tables_the_code_declares(database_url):
    """A table or column added to the code without its migration (or the reverse) fails here."""
    command.check(schema.alembic_config(database_url))


def test_notifications_emailed_before_0022_are_marked_emailed_so_no_digest_repeats_them(empty_database_url):
    url = empty_database_url
    config = schema.alembic_config(url)
    command.upgrade(config, "0019")
    engine = sa.create_engine(schema.sync_url(url))
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as connection:
        _insert_ada(connection, now)
        for number in (1, 2):
            connection.execute(
                sa.text(
                    "INSERT INTO notifications (id, user_id, kind, subject, path, created_at)"
                    " VALUES (:id, 1, 'comment', 'commented', '/ideas/1', :now)"
                ),
                {"id": number, "now": now},
            )
        connection.execute(
            sa.text(
                "INSERT INTO outbox (user_id, to_address, subject, kind, notification_id, message, created_at)"
                " VALUES (1, 'ada@example.org', 'Linus commented', 'comment', 1, '', :now)"
            ),
            {"now": now},
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, emailed_at IS NOT NULL FROM notifications ORDER BY id")).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [(1, True), (2, False)]
