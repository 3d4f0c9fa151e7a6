"""Rows and comments are rendered once per content (portal/memo.py): what each viewer sees must
still follow every change, and nothing of one member's page may reach another's."""

import html
import re

import pytest

from tests.pages import shown

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def tokens(page: str) -> set[str]:
    return set(CSRF.findall(page))


def vote_state(page: str, idea_id: int) -> str:
    form = page.split(f'action="/ideas/{idea_id}/vote"')[1].split("</form>")[0]
    return re.search(r'aria-pressed="(true|false)"', form).group(1)


async def test_list_rows_follow_each_change_and_each_viewer(person, visitor):
    ada = await person("ada")
    bob = await person("bob")
    idea_id = await ada.submit_idea("Keyboard shortcuts", "For the list.")
    before = (await visitor.get("/")).text
    assert "Keyboard shortcuts" in before and not tokens(before)

    await ada.vote(idea_id)
    ada_page, bob_page = (await ada.get("/")).text, (await bob.get("/")).text
    assert vote_state(ada_page, idea_id) == "true" and vote_state(bob_page, idea_id) == "false"
    assert tokens(ada_page) == {ada.csrf} and tokens(bob_page) == {bob.csrf} and ada.csrf != bob.csrf
    count = re.compile(r'<span class="vote-count"[^>]*>(\d+)</span>')
    assert count.findall(bob_page) == ["1"] and count.findall((await visitor.get("/")).text) == ["1"]

    await bob.vote(idea_id)
    assert count.findall((await visitor.get("/")).text) == ["2"]
    edited = await ada.post(f"/ideas/{idea_id}/edit", {"title": "Keyboard shortcuts everywhere", "body": "For all."})
    assert edited.status_code in (200, 303)
    assert "Keyboard shortcuts everywhere" in (await bob.get("/")).text
    # A visitor's row is a sign-in link, never a member's form.
    assert f'action="/ideas/{idea_id}/vote"' not in (await visitor.get("/")).text


async def test_comments_show_each_viewer_their_own_actions(person, visitor):
    ada = await person("ada")
    bob = await person("bob")
    maintainer = await person("maya", role="maintainer")
    idea_id = await ada.submit_idea("Offline mode", "Works on a plane.")
    await ada.comment(idea_id, "First thoughts from the author.")
    await bob.comment(idea_id, "A reply from Bob.")

    def actions(page: str, text: str) -> str:
        return page.split(text)[1].split("</li>")[0]

    ada_page = (await ada.get(f"/ideas/{idea_id}")).text
    bob_page = (await bob.get(f"/ideas/{idea_id}")).text
    maya_page = (await maintainer.get(f"/ideas/{idea_id}")).text
    visitor_page = (await visitor.get(f"/ideas/{idea_id}")).text
    assert "Delete<span" in actions(ada_page, "First thoughts") and "Delete<span" not in actions(ada_page, "from Bob")
    assert "Delete<span" in actions(bob_page, "from Bob") and "Delete<span" not in actions(bob_page, "First thoughts")
    assert "Moderate<span" in actions(maya_page, "from Bob") and "Moderate<span" not in actions(bob_page, "from Bob")
    assert not tokens(visitor_page) and "Flag<span" not in visitor_page
    assert tokens(ada_page) == {ada.csrf} and tokens(bob_page) == {bob.csrf}

    # A reaction shows at once, pressed for the one who reacted only.
    first_comment = re.search(r'id="comment-(\d+)"', ada_page).group(1)
    react = await bob.post(f"/comments/{first_comment}/react", {"reaction": "heart", "on": "1"})
    assert react.status_code in (200, 303)
    bob_after = actions((await bob.get(f"/ideas/{idea_id}")).text, "First thoughts")
    ada_after = actions((await ada.get(f"/ideas/{idea_id}")).text, "First thoughts")
    assert 'class="reaction reacted" aria-pressed="true"' in bob_after
    assert 'aria-pressed="false"' in ada_after and "reacted" not in ada_after


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
    page = (await ada.get(f"/ideas/{idea_id}")).text
    comment_id = re.search(r'id="comment-(\d+)"', page).group(1)
    await ada.post(f"/comments/{comment_id}/react", {"reaction": "rocket", "on": "1"})

    response = await visitor.get(f"/ideas/{idea_id}")
    assert "🚀</span> 1" in html.unescape(response.text) and "disabled" in shown(response)
    assert "<!--" not in response.text.split('class="comment-list"')[1]
    assert not tokens(response.text) - {""} and "set-cookie" not in response.headers


async def test_rows_rendered_once_are_still_escaped(person, visitor):
    ada = await person("ada")
    idea_id = await ada.submit_idea('<img src=x onerror="alert(1)"> in a title', "Body.")
    for page in ((await visitor.get("/")).text, (await ada.get("/")).text, (await visitor.get("/roadmap")).text):
        assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; in a title" in (await visitor.get("/")).text
    assert f'/ideas/{idea_id}"' in (await visitor.get("/")).text


async def test_the_idea_at_the_top_of_its_page_follows_each_change_and_each_viewer(person, visitor):
    ada = await person("ada")
    bob = await person("bob")
    maya = await person("maya", role="maintainer")
    idea_id = await ada.submit_idea("Dark theme", "Easier at night.")
    path = f"/ideas/{idea_id}"

    def head(page: str) -> str:
        return page.split('<article class="idea">')[1].split("</article>")[0]

    def follow_state(page: str) -> str:
        form = head(page).split(f'action="/ideas/{idea_id}/follow"')[1].split("</form>")[0]
        return re.search(r'aria-pressed="(true|false)"', form).group(1)

    ada_head, bob_head, maya_head = [head((await member.get(path)).text) for member in (ada, bob, maya)]
    visitor_head = head((await visitor.get(path)).text)
    edit_link = f'href="/ideas/{idea_id}/edit"'
    assert edit_link in ada_head and edit_link not in bob_head and edit_link in maya_head
    assert f'action="/ideas/{idea_id}/tags"' in maya_head and f'action="/ideas/{idea_id}/tags"' not in bob_head
    assert "Waiting under a minute for a first maintainer response" in visitor_head
    assert not tokens(visitor_head) and "Flag this idea" not in visitor_head
    conduct = 'Posting here means following the <a href="/code-of-conduct">code of conduct</a>.'
    assert conduct in (await bob.get(path)).text and conduct in (await bob.get("/ideas/new")).text

    # The author follows their idea; Bob follows it, then the page says so to him alone.
    assert follow_state((await ada.get(path)).text) == "true" and follow_state((await bob.get(path)).text) == "false"
    await bob.post(f"{path}/follow", {"follow": "1"})
    await bob.vote(idea_id)
    await bob.post(f"{path}/react", {"reaction": "rocket", "on": "1"})
    bob_page, ada_page = (await bob.get(path)).text, (await ada.get(path)).text
    assert follow_state(bob_page) == "true" and vote_state(bob_page, idea_id) == "true"
    assert vote_state(ada_page, idea_id) == "false"
    assert 'class="reaction reacted" aria-pressed="true"' in head(bob_page)
    assert "🚀</span> 1" in html.unescape(head(ada_page)) and "reacted" not in head(ada_page)
    assert tokens(head(bob_page)) == {bob.csrf} and tokens(head(ada_page)) == {ada.csrf}
    assert '<span class="vote-count">1</span>' in head((await visitor.get(path)).text)

    # A maintainer's status change and tags show to everyone at once.
    await maya.post(f"{path}/status", {"status": "planned", "note": "On the roadmap."})
    await maya.post(f"{path}/tags", {"tags": "Design, Accessibility"})
    seen = head((await visitor.get(path)).text)
    assert "status-planned" in seen and "First maintainer response after" in seen and "Waiting" not in seen
    assert re.findall(r'class="tag"[^>]*>([^<]+)<', seen) == ["Accessibility", "Design"]
    assert 'value="Accessibility, Design"' in head((await maya.get(path)).text)


async def test_pages_are_written_in_ascii_and_members_text_is_kept_as_typed(person, visitor):
    ada = await person("ada")
    plain = await ada.submit_idea("Keyboard shortcuts", "For the list.")
    await ada.post(f"/ideas/{plain}/react", {"reaction": "heart", "on": "1"})
    # The template's own text (· between the details, the emoji) arrives as character references...
    for page in ((await visitor.get("/")).text, (await ada.get(f"/ideas/{plain}")).text):
        assert page.isascii() and "&#xB7;" in page
    assert "❤️</span> 1" in html.unescape((await visitor.get(f"/ideas/{plain}")).text)
    # ...and what members write, as they wrote it.
    await ada.submit_idea("Café ☕ für alle", "Überall.")
    home = (await visitor.get("/")).text
    assert "Café ☕ für alle" in home and not home.isascii()
