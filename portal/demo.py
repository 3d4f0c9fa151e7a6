"""Demo data for a first look: a founder, a maintainer, members, ideas with votes and comments."""

import random
from datetime import timedelta

from ideas import board_queries, comment_queries
from ideas import queries as idea_queries
from ideas import votes as idea_votes
from ideas.discussions import queries as discussion_queries
from ideas.discussions import reply_queries as discussion_replies
from ideas.forms import parse_comment, parse_idea, parse_status_change
from portal.accounts import queries as account_queries
from portal.accounts.passwords import hash_password, password_hasher
from portal.db import Database, utcnow
from portal.markdown import render_markdown
from portal.people import queries as people_queries
from portal.people.forms import parse_profile

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

BOARDS = [
    # slug, name, description, vote budget, campaign question
    ("integrations", "Integrations", "Connecting the project to other tools.", 3, None),
    ("roadmap-2-0", "Version 2.0", "Ideas for the next major version.", None, "What should version 2.0 focus on?"),
]

IDEAS = [
    ("general", "linus", "Dark mode for the dashboard", "Working late is easier on the eyes with a **dark theme**."),
    ("general", "margaret", "Export reports as CSV", "Weekly numbers:\n\n- daily totals\n- per team"),
    ("integrations", "ada", "A plugin API for custom importers", "Founders queue ideas like everyone else."),
    ("general", "alan", "Keyboard shortcuts for common actions", "`j`/`k` to move, `v` to vote."),
    ("integrations", "barbara", "Single sign-on with our OpenID Connect provider", "We sign in that way."),
    ("roadmap-2-0", "grace", "Faster start-up on large projects", "Start-up takes 20 s on a 50k-file repository."),
    ("roadmap-2-0", "linus", "Translate the interface into German", "Happy to help with the translation."),
]

STATUS_CHANGES = [
    # idea title, new status, the maintainer's public note
    ("Export reports as CSV", "planned", "We will build this for the next release; per-team totals first."),
    ("Keyboard shortcuts for common actions", "under_review", "Checking which keys clash with screen readers."),
]

COMMENTS = [
    "Yes please, this would help our whole team.",
    "Could this be optional? Some of us like it the way it is.",
    "I wrote a small script that does part of this; happy to share it.",
    "+1, we hit this every week.",
    "How would this work with the existing settings page?",
]


PROFILES = {
    # username: what the profile form would receive
    "grace": {
        "bio": "Compilers, and making computers speak the user's language.",
        "affiliation": "Roundtable maintainers",
        "expertise": "compilers, python, release engineering",
        "links": "Blog https://grace.example.org",
    },
    "margaret": {
        "bio": "I help teams ship **reliable** software: reviews, testing strategy, incident drills.",
        "affiliation": "Hamilton Consulting",
        "expertise": "reliability, testing, postgres",
        "links": "https://hamilton.example.org",
        "for_hire": "on",
        "hire_services": "Reliability reviews.\nTesting strategy workshops.",
        "hire_rates": "From 900 EUR a day",
        "hire_contact": "https://hamilton.example.org/contact",
    },
    "barbara": {
        "bio": "Data abstraction and distributed systems.",
        "expertise": "distributed systems, postgres",
        "for_hire": "on",
        "hire_contact": "Message me through the portal's discussions.",
    },
}


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
            email_verified=True,
            role=role,
            is_founder=founder,
        )
    for username, values in PROFILES.items():
        display_name = next(name for login, name, _, _ in PEOPLE if login == username)
        profile = parse_profile({"display_name": display_name, **values})
        assert profile.is_valid, profile.errors
        await people_queries.update_profile(db, user_ids[username], profile.data)
    board_ids = {"general": (await board_queries.get_board_by_slug(db, "general"))["id"]}
    now = utcnow()
    for slug, name, description, budget, question in BOARDS:
        board_ids[slug] = await board_queries.create_board(
            db,
            slug=slug,
            name=name,
            description=description,
            vote_budget=budget,
            campaign_question=question,
            opens_at=now - timedelta(days=1) if question else None,
            closes_at=now + timedelta(days=14) if question else None,
        )
    chooser = random.Random(42)
    idea_ids: dict[str, int] = {}
    for board, author, title, body in IDEAS:
        idea_form = parse_idea({"title": title, "body": body})
        idea_id = idea_ids[title] = await idea_queries.create_idea(
            db,
            board_id=board_ids[board],
            author_id=user_ids[author],
            title=idea_form.data["title"],
            body=idea_form.data["body"],
            body_html=idea_form.data["body_html"],
        )
        for voter in chooser.sample(sorted(user_ids), chooser.randint(0, len(user_ids))):
            try:
                await idea_votes.add_vote(db, idea_id, user_ids[voter])
            except idea_votes.VoteRefused:
                pass  # that member's budget on the board is spent
        for text in chooser.sample(COMMENTS, chooser.randint(0, 3)):
            comment_form = parse_comment({"body": text})
            await comment_queries.add_comment(
                db,
                idea_id=idea_id,
                author_id=user_ids[chooser.choice(sorted(user_ids))],
                body=comment_form.data["body"],
                body_html=comment_form.data["body_html"],
            )
    for title, status, note in STATUS_CHANGES:
        form = parse_status_change({"status": status, "note": note})
        await idea_queries.change_status(
            db,
            idea_id=idea_ids[title],
            actor_id=user_ids["grace"],
            status=status,
            note=form.data["note"],
            note_html=form.data["note_html"],
        )
    await _load_discussions(db, user_ids)


THREADS = [
    # category, author, title, body, replies (author, text), index of the accepted reply
    (
        "q-and-a",
        "margaret",
        "How do I import ideas from a spreadsheet?",
        "We keep our backlog in a spreadsheet. Is there a way to bring it in?",
        [
            ("linus", "I copied them by hand, sadly."),
            ("grace", "Use `roundtable import-csv FILE.csv --kind ideas`: see the README for the columns."),
        ],
        1,
    ),
    (
        "help-wanted",
        "alan",
        "Paid: help us package the portal for Debian",
        "A few days of work, paid. Reply here if interested.",
        [("barbara", "I maintain two Debian packages; happy to help.")],
        None,
    ),
    ("lounge", "barbara", "Hello from Boston", "Say hi! @ada, thanks for the project.", [], None),
]


async def _load_discussions(db: Database, user_ids: dict[str, int]) -> None:
    categories = {row["slug"]: row for row in await discussion_queries.list_categories(db)}
    now = utcnow()
    for slug, author, title, body, replies, accepted in THREADS:
        thread_id = await discussion_queries.create_thread(
            db,
            category_id=categories[slug]["id"],
            author_id=user_ids[author],
            title=title,
            body=body,
            body_html=render_markdown(body),
            deadline=now + timedelta(days=30) if slug == "help-wanted" else None,
            mentioned=[user_ids["ada"]] if "@ada" in body else [],
            now=now,
        )
        reply_ids = []
        for replier, text in replies:
            reply_ids.append(
                await discussion_replies.add_reply(
                    db,
                    thread_id=thread_id,
                    author_id=user_ids[replier],
                    body=text,
                    body_html=render_markdown(text),
                    mentioned=[],
                    now=utcnow(),
                )
            )
        if accepted is not None:
            await discussion_replies.accept_reply(
                db, thread_id=thread_id, reply_id=reply_ids[accepted], actor_id=user_ids[author]
            )
