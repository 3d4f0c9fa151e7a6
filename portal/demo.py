"""Demo data for a first look: a founder, a maintainer, members, ideas with votes and comments."""

import random

from ideas import queries as idea_queries
from ideas.forms import parse_comment, parse_idea
from portal.accounts import queries as account_queries
from portal.accounts.passwords import hash_password, password_hasher
from portal.db import Database

DEMO_PASSWORD = "roundtable-demo"

PEOPLE = [
    # username, display name, role, founder
    ("ada", "Ada Lovelace", "admin", True),
    ("grace", "Grace Hopper", "maintainer", False),
    ("linus", "Linus Pauling", "member", False),
    ("margaret", "Margaret Hamilton", "member", False),
    ("alan", "Alan Kay", "member", False),
    ("barbara", "Barbara Liskov", "member", False),
]

IDEAS = [
    ("linus", "Dark mode for the dashboard", "Working late is easier on the eyes with a **dark theme**."),
    (
        "margaret",
        "Export reports as CSV",
        "We feed the numbers into a spreadsheet every week.\n\n- daily totals\n- per-team totals",
    ),
    ("ada", "A plugin API for custom importers", "Founders queue ideas like everyone else: vote if you want it."),
    ("alan", "Keyboard shortcuts for common actions", "`j`/`k` to move, `v` to vote."),
    (
        "barbara",
        "Single sign-on with our company's OpenID Connect provider",
        "Our team signs in to everything else that way.",
    ),
    ("grace", "Faster start-up on large projects", "Start-up takes 20 s on a 50k-file repository."),
    ("linus", "Translate the interface into German", "Happy to help with the translation."),
]

COMMENTS = [
    "Yes please, this would help our whole team.",
    "Could this be optional? Some of us like it the way it is.",
    "I wrote a small script that does part of this; happy to share it.",
    "+1, we hit this every week.",
    "How would this work with the existing settings page?",
]


class DemoExists(Exception):
    pass


async def load_demo(db: Database, argon2_profile: str) -> None:
    """Fill an empty portal with demo content; refuses if the demo members exist already."""
    if await account_queries.get_user_by_username(db, "ada") is not None:
        raise DemoExists("The demo data is loaded already.")
    password_hash = await hash_password(password_hasher(argon2_profile), DEMO_PASSWORD)
    user_ids: dict[str, int] = {}
    for username, display_name, role, founder in PEOPLE:
        user_ids[username] = await account_queries.create_user(
            db,
            username=username,
            email=f"{username}@example.org",
            display_name=display_name,
            password_hash=password_hash,
            role=role,
            is_founder=founder,
        )
    chooser = random.Random(42)
    for author, title, body in IDEAS:
        idea_form = parse_idea({"title": title, "body": body})
        idea_id = await idea_queries.create_idea(
            db,
            author_id=user_ids[author],
            title=idea_form.data["title"],
            body=idea_form.data["body"],
            body_html=idea_form.data["body_html"],
        )
        for voter in chooser.sample(sorted(user_ids), chooser.randint(0, len(user_ids))):
            await idea_queries.add_vote(db, idea_id, user_ids[voter])
        for text in chooser.sample(COMMENTS, chooser.randint(0, 3)):
            comment_form = parse_comment({"body": text})
            await idea_queries.add_comment(
                db,
                idea_id=idea_id,
                author_id=user_ids[chooser.choice(sorted(user_ids))],
                body=comment_form.data["body"],
                body_html=comment_form.data["body_html"],
            )
