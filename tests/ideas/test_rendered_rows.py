"""Rows and comments are rendered once per content (portal/memo.py): what each viewer sees must
still follow every change, and nothing of one member's page may reach another's."""

import pytest

from tests.pages import actions, comments_in, has, link_to, links, one, parsed, shown, texts, tree, values


def tokens(page) -> set[str]:
    """The form tokens on the page (or in the part of it given)."""
    return {node.attributes.get("value") for node in tree(page).css('input[name="csrf_token"]')} - {None, ""}


def vote_state(page, idea_id: int) -> str:
    return one(page, f'form[action="/ideas/{idea_id}/vote"] [aria-pressed]').attributes["aria-pressed"]


def vote_counts(page) -> list[str]:
    return texts(page, "span.vote-count")


def reaction_labels(part) -> list[str]:
    """What the reaction buttons say: emoji, count and the name a screen reader hears."""
    return texts(part, "button.reaction")


async def test_list_rows_follow_each_change_and_each_viewer(person, visitor):
    ada = await person("ada")
    bob = await person("bob")
    idea_id = await ada.submit_idea("Keyboard shortcuts", "For the list.")
    before = (await visitor.get("/")).text
    assert "Keyboard shortcuts" in shown(before) and not tokens(before)

    await ada.vote(idea_id)
    ada_page, bob_page = (await ada.get("/")).text, (await bob.get("/")).text
    assert vote_state(ada_page, idea_id) == "true" and vote_state(bob_page, idea_id) == "false"
    assert tokens(ada_page) == {ada.csrf} and tokens(bob_page) == {bob.csrf} and ada.csrf != bob.csrf
    assert vote_counts(bob_page) == ["1"] and vote_counts(await visitor.get("/")) == ["1"]

    await bob.vote(idea_id)
    assert vote_counts(await visitor.get("/")) == ["2"]
    edited = await ada.post(f"/ideas/{idea_id}/edit", {"title": "Keyboard shortcuts everywhere", "body": "For all."})
    assert edited.status_code in (200, 303)
    assert "Keyboard shortcuts everywhere" in shown(await bob.get("/"))
    # A visitor's row is a sign-in link, never a member's form.
    assert f"/ideas/{idea_id}/vote" not in actions(await visitor.get("/"))


async def test_comments_show_each_viewer_their_own_actions(person, visitor):
    ada = await person("ada")
    bob = await person("bob")
    maintainer = await person("maya", role="maintainer")
    idea_id = await ada.submit_idea("Offline mode", "Works on a plane.")
    await ada.comment(idea_id, "First thoughts from the author.")
    await bob.comment(idea_id, "A reply from Bob.")

    def comment(page, words: str):
        return next(item for item in tree(page).css("li.comment") if words in shown(item, ".prose"))

    def can(page, words: str, what: str) -> bool:
        return f"{what} this comment" in texts(comment(page, words), "a, button")

    ada_page = parsed(await ada.get(f"/ideas/{idea_id}"))
    bob_page = parsed(await bob.get(f"/ideas/{idea_id}"))
    maya_page = parsed(await maintainer.get(f"/ideas/{idea_id}"))
    visitor_page = parsed(await visitor.get(f"/ideas/{idea_id}"))
    assert can(ada_page, "First thoughts", "Delete") and not can(ada_page, "from Bob", "Delete")
    assert can(bob_page, "from Bob", "Delete") and not can(bob_page, "First thoughts", "Delete")
    assert can(maya_page, "from Bob", "Moderate") and not can(bob_page, "from Bob", "Moderate")
    assert not tokens(visitor_page) and not [label for label in texts(visitor_page, "a") if label.startswith("Flag")]
    assert tokens(ada_page) == {ada.csrf} and tokens(bob_page) == {bob.csrf}

    # A reaction shows at once, pressed for the one who reacted only.
    first_comment = comment(ada_page, "First thoughts").attributes["id"].removeprefix("comment-")
    react = await bob.post(f"/comments/{first_comment}/react", {"reaction": "heart", "on": "1"})
    assert react.status_code in (200, 303)
    bob_after = comment(await bob.get(f"/ideas/{idea_id}"), "First thoughts")
    ada_after = comment(await ada.get(f"/ideas/{idea_id}"), "First thoughts")
    assert has(bob_after, 'button.reaction.reacted[aria-pressed="true"]')
    assert has(ada_after, 'button.reaction[aria-pressed="false"]') and not has(ada_after, ".reacted")


@pytest.mark.parametrize("path", ["/", "/roadmap", "/search?q=shortcuts"])
async def test_a_members_page_holds_only_their_own_token(path, person):
    ada = await person("ada")
    bob = await person("bob")
    await ada.submit_idea("Shortcuts for search", "Quick.")
    await bob.get("/")
    for member in (ada, bob, ada):
        page = (await member.get(path)).text
        assert tokens(page) <= {member.csrf}, path


async def test_a_visitor_gets_no_token_and_no_cookie_from_reactions(person, visitor):
    ada = await person("ada")
    idea_id = await ada.submit_idea("Reactions for visitors", "Shown, not pressable.")
    await ada.comment(idea_id, "A comment with a reaction.")
    comment_id = one(await ada.get(f"/ideas/{idea_id}"), "li.comment").attributes["id"].removeprefix("comment-")
    await ada.post(f"/comments/{comment_id}/react", {"reaction": "rocket", "on": "1"})

    response = await visitor.get(f"/ideas/{idea_id}")
    page = parsed(response)
    rocket = one(page, "ol.comment-list button.reaction")
    assert " ".join(rocket.text().split()) == "🚀 1 rocket" and "disabled" in rocket.attributes
    assert comments_in(one(page, "ol.comment-list")) == []
    assert not tokens(page) and "set-cookie" not in response.headers


async def test_rows_rendered_once_are_still_escaped(person, visitor):
    ada = await person("ada")
    idea_id = await ada.submit_idea('<img src=x onerror="alert(1)"> in a title', "Body.")
    title = '<img src=x onerror="alert(1)"> in a title'
    for page in (await visitor.get("/"), await ada.get("/"), await visitor.get("/roadmap")):
        assert not has(page, 'img[src="x"]')
    assert link_to(await visitor.get("/"), title) == f"/ideas/{idea_id}"  # its text, as typed


async def test_the_idea_at_the_top_of_its_page_follows_each_change_and_each_viewer(person, visitor):
    ada = await person("ada")
    bob = await person("bob")
    maya = await person("maya", role="maintainer")
    idea_id = await ada.submit_idea("Dark theme", "Easier at night.")
    path = f"/ideas/{idea_id}"

    def head(page):
        return one(page, "article.idea")

    def follow_state(page) -> str:
        return one(head(page), f'form[action="/ideas/{idea_id}/follow"] [aria-pressed]').attributes["aria-pressed"]

    ada_head, bob_head, maya_head = [head(await member.get(path)) for member in (ada, bob, maya)]
    visitor_head = head(await visitor.get(path))
    edit_link = f"/ideas/{idea_id}/edit"
    assert edit_link in links(ada_head) and edit_link not in links(bob_head) and edit_link in links(maya_head)
    assert f"/ideas/{idea_id}/tags" in actions(maya_head) and f"/ideas/{idea_id}/tags" not in actions(bob_head)
    assert "Waiting under a minute for a first maintainer response" in shown(visitor_head)
    assert not tokens(visitor_head) and "Flag this idea" not in shown(visitor_head)
    for page in (await bob.get(path), await bob.get("/ideas/new")):
        assert "Posting here means following the code of conduct." in " ".join(shown(page).split())
        assert link_to(page, "code of conduct") == "/code-of-conduct"

    # The author follows their idea; Bob follows it, then the page says so to him alone.
    assert follow_state(await ada.get(path)) == "true" and follow_state(await bob.get(path)) == "false"
    await bob.post(f"{path}/follow", {"follow": "1"})
    await bob.vote(idea_id)
    await bob.post(f"{path}/react", {"reaction": "rocket", "on": "1"})
    bob_page, ada_page = parsed(await bob.get(path)), parsed(await ada.get(path))
    assert follow_state(bob_page) == "true" and vote_state(bob_page, idea_id) == "true"
    assert vote_state(ada_page, idea_id) == "false"
    assert has(head(bob_page), 'button.reaction.reacted[aria-pressed="true"]')
    assert reaction_labels(head(ada_page)) == ["🚀 1 rocket"] and not has(head(ada_page), ".reacted")
    assert tokens(head(bob_page)) == {bob.csrf} and tokens(head(ada_page)) == {ada.csrf}
    assert vote_counts(head(await visitor.get(path))) == ["1"]

    # A maintainer's status change and tags show to everyone at once.
    await maya.post(f"{path}/status", {"status": "planned", "note": "On the roadmap."})
    await maya.post(f"{path}/tags", {"tags": "Design, Accessibility"})
    seen = head(await visitor.get(path))
    assert has(seen, ".status-planned") and "First maintainer response after" in shown(seen)
    assert "Waiting" not in shown(seen)
    assert texts(seen, ".tag") == ["Accessibility", "Design"]
    assert values(head(await maya.get(path)))["tags"] == "Accessibility, Design"


async def test_pages_are_written_in_ascii_and_members_text_is_kept_as_typed(person, visitor):
    ada = await person("ada")
    plain = await ada.submit_idea("Keyboard shortcuts", "For the list.")
    await ada.post(f"/ideas/{plain}/react", {"reaction": "heart", "on": "1"})
    # The template's own text (· between the details, the emoji) arrives as character references...
    for page in ((await visitor.get("/")).text, (await ada.get(f"/ideas/{plain}")).text):
        assert page.isascii() and "&#xB7;" in page
    assert reaction_labels(await visitor.get(f"/ideas/{plain}")) == ["❤️ 1 heart"]
    # ...and what members write, as they wrote it.
    await ada.submit_idea("Café ☕ für alle", "Überall.")
    home = (await visitor.get("/")).text
    assert "Café ☕ für alle" in shown(home) and not home.isascii()
