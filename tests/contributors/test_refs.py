"""The reference grammar: what in a commit message links a commit to an idea, and what must not."""

import pytest

from contributors.refs import find_idea_references

PORTAL = "https://ideas.example.org"

LINKS = [
    ("Add dark mode for idea #42", {42: False}),
    ("Idea#42: first pass", {42: False}),
    ("IDEA #42 and idea #7", {42: False, 7: False}),
    ("Dark mode\n\nIdea: 42", {42: False}),
    ("Dark mode\n\nIdea: #42", {42: False}),
    ("Dark mode\n\nImplements: idea-42", {42: True}),
    ("Dark mode\n\nimplements: idea #42", {42: True}),
    ("Dark mode\n\nRefs: idea-42, idea-43", {42: False, 43: False}),
    ("Dark mode\n\nImplements: idea-42 idea-43", {42: True, 43: True}),
    ("Mentioned idea #42\n\nImplements: idea-42", {42: True}),
    (f"See {PORTAL}/ideas/42 for why", {42: False}),
    (f"See {PORTAL}/ideas/42.", {42: False}),
    (f"Dark mode\n\nImplements: {PORTAL}/ideas/42", {42: True}),
    ("Don't forget idea #5, it's small", {5: False}),
    ("(idea #9)", {9: False}),
]

NOT_LINKS = [
    "Fix #42",
    "Closes: #42",
    "Refs: #42",
    "Implements: 42",
    "Fixes: idea-42",
    "ideas #42",
    "ideas #42abc",
    "idea #42abc",
    "idea #42-b",
    "myidea #42",
    "an idea-42 in a sentence",
    "Quote `idea #42` in code",
    "Example:\n\n```\nImplements: idea-42\n```\n",
    'Revert "Add dark mode for idea #42"',
    "He said “idea #42” was wrong",
    "Say 'idea #42' to link",
    "> idea #42 (quoted from the review)",
    "See https://elsewhere.example.org/ideas/42",
    f"See {PORTAL}/ideas/42?x=1",
    f"See {PORTAL}/ideas/0",
    "idea #0",
    "idea #" + "9" * 16,
]


@pytest.mark.parametrize("message,expected", LINKS)
def test_these_messages_link_their_ideas(message, expected):
    assert find_idea_references(message, public_url=PORTAL) == expected


@pytest.mark.parametrize("message", NOT_LINKS)
def test_these_messages_link_nothing(message):
    assert find_idea_references(message, public_url=PORTAL) == {}


def test_full_urls_link_only_when_the_portal_knows_its_own_address():
    assert find_idea_references(f"See {PORTAL}/ideas/42") == {}
