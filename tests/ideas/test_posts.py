"""One model for posts: the same operations on ideas, comments, discussion threads and replies."""

from datetime import timedelta
from types import SimpleNamespace

import pytest

from ideas import board_queries, comment_queries, posts, search
from ideas import queries as idea_queries
from ideas.discussions import queries as discussion_queries
from ideas.discussions import reply_queries
from ideas.discussions import search as discussion_search
from portal import reactions
from portal.db import utcnow

KINDS = list(posts.KINDS)
CHILDREN = [name for name, kind in posts.KINDS.items() if kind.parent is not None]
TOP_LEVEL = [name for name, kind in posts.KINDS.items() if kind.parent is None]


class Posting:
    """Writes posts of any kind as one member, through the kinds' own queries."""

    def __init__(self, db, author_id: int) -> None:
        self.db, self.author_id = db, author_id

    async def top_level(self, kind: posts.PostKind, words: str) -> int:
        text = {"body": f"{words} in the body", "body_html": f"<p>{words} in the body</p>", "author_id": self.author_id}
        if kind is posts.IDEA:
            board = await board_queries.get_board_by_slug(self.db, "general")
            return await idea_queries.create_idea(self.db, board_id=board["id"], title=f"Idea {words}", **text)
        category = await discussion_queries.get_category_by_slug(self.db, "lounge")
        return await discussion_queries.create_thread(
            self.db,
            category_id=category["id"],
            title=f"Thread {words}",
            deadline=None,
            mentioned=[],
            now=utcnow(),
            **text,
        )

    async def child(self, kind: posts.PostKind, parent_id: int, words: str) -> int:
        text = {"body": words, "body_html": f"<p>{words}</p>", "author_id": self.author_id}
        if kind is posts.COMMENT:
            return await comment_queries.add_comment(self.db, idea_id=parent_id, **text)
        return await reply_queries.add_reply(self.db, thread_id=parent_id, mentioned=[], now=utcnow(), **text)

    async def post(self, kind: posts.PostKind, words: str = "zebrafish") -> tuple[int, int | None]:
        """A post of `kind` (id, and its parent's id for a child)."""
        if kind.parent is None:
            return await self.top_level(kind, words), None
        parent_id = await self.top_level(kind.parent, "parent")
        return await self.child(kind, parent_id, words), parent_id


@pytest.fixture
async def posting(db, person):
    ada = await person("ada", signed_in=False)
    return Posting(db, ada.id)


async def findable(db, kind: posts.PostKind, word: str) -> bool:
    """Whether the search page's ranking finds the post's top-level post by a word of it."""
    if kind in (posts.IDEA, posts.COMMENT):
        return bool(await search.rank_ideas(db, word, limit=5))
    return bool(await discussion_search.rank_threads(db, word, limit=5))


@pytest.mark.parametrize("name", KINDS)
async def test_every_kind_of_post_is_found_named_and_placed_the_same_way(db, posting, name):
    kind = posts.KINDS[name]
    post_id, parent_id = await posting.post(kind)

    post = posts.Post(kind, await posts.get(db, kind, post_id))
    assert post.id == post_id and post.row["author_username"] == "ada"
    assert not post.hidden and not post.locked
    if parent_id is None:
        assert post.path == f"{kind.path_prefix}/{post_id}" and post.label.endswith("zebrafish")
    else:
        assert post.path == f"{kind.path_prefix}/{parent_id}#{kind.anchor}-{post_id}"
        assert post.label.startswith(f"{name} ") and "parent" in post.label
    assert await posts.find(db, kind, []) == {}
    with pytest.raises(posts.PostNotFound) as missing:
        await posts.get(db, kind, post_id + 1000)
    assert missing.value.message == f"There is no {name} with that number."


@pytest.mark.parametrize("name", KINDS)
async def test_a_hidden_post_of_any_kind_is_quoted_by_no_email_and_shown_again_on_restore(db, posting, name):
    kind = posts.KINDS[name]
    post_id, _ = await posting.post(kind)
    assert await posts.shown_sources(db, kind, [post_id]) == {post_id: (await posts.get(db, kind, post_id))["body"]}
    assert await findable(db, kind, "zebrafish")

    await posts.set_hidden(db, kind, post_id, reason="Personal data.", now=utcnow())
    row = await posts.get(db, kind, post_id)
    assert row["hidden_reason"] == "Personal data." and posts.Post(kind, row).hidden
    assert await posts.is_hidden(db, kind, post_id)
    assert await posts.shown_sources(db, kind, [post_id]) == {}
    # A hidden child's words find nothing; a hidden idea or thread is left out by the search page.
    assert await findable(db, kind, "zebrafish") == (kind.parent is None)

    await posts.set_hidden(db, kind, post_id, reason=None, now=utcnow())
    assert not await posts.is_hidden(db, kind, post_id)
    assert post_id in await posts.shown_sources(db, kind, [post_id])
    assert await findable(db, kind, "zebrafish")
    with pytest.raises(posts.PostNotFound):
        await posts.set_hidden(db, kind, post_id + 1000, reason="x", now=utcnow())


@pytest.mark.parametrize("name", KINDS)
async def test_ideas_and_threads_lock_and_their_children_refuse_to(db, posting, name):
    kind = posts.KINDS[name]
    post_id, _ = await posting.post(kind)
    if kind.parent is not None:
        assert not kind.lockable
        with pytest.raises(posts.ActionRefused):
            await posts.set_locked(db, kind, post_id, locked=True, now=utcnow())
        return
    await posts.set_locked(db, kind, post_id, locked=True, now=utcnow())
    assert posts.Post(kind, await posts.get(db, kind, post_id)).locked
    await posts.set_locked(db, kind, post_id, locked=False, now=utcnow())
    assert not posts.Post(kind, await posts.get(db, kind, post_id)).locked


@pytest.mark.parametrize("name", KINDS)
async def test_one_edit_rule_for_every_kind_of_post(db, posting, name):
    kind = posts.KINDS[name]
    post_id, _ = await posting.post(kind)
    post = dict(await posts.get(db, kind, post_id))
    window, now = timedelta(minutes=15), utcnow()
    author = SimpleNamespace(is_authenticated=True, is_maintainer=False, id=post["author_id"])
    other = SimpleNamespace(is_authenticated=True, is_maintainer=False, id=post["author_id"] + 1)
    maintainer = SimpleNamespace(is_authenticated=True, is_maintainer=True, id=post["author_id"] + 2)
    visitor = SimpleNamespace(is_authenticated=False, is_maintainer=False, id=None)

    assert posts.may_edit(author, post, window=window, now=now)
    assert not posts.may_edit(other, post, window=window, now=now)
    assert not posts.may_edit(visitor, post, window=window, now=now)
    late = now + window + timedelta(seconds=1)
    assert not posts.may_edit(author, post, window=window, now=late)
    assert posts.may_edit(maintainer, post, window=window, now=late)
    hidden = {**post, "hidden_at": now}
    assert not posts.may_edit(author, hidden, window=window, now=now)
    assert posts.may_edit(maintainer, hidden, window=window, now=late)


@pytest.mark.parametrize("name", KINDS)
async def test_reactions_to_any_kind_of_post_are_counted_on_it_and_stop_when_it_is_hidden(db, posting, name):
    kind = posts.KINDS[name]
    post_id, _ = await posting.post(kind)
    target, user_id = kind.reaction_target, posting.author_id
    react = {"target_id": post_id, "user_id": user_id, "reaction": "heart"}
    assert await reactions.set_reaction(db, target, on=True, **react) == {"heart": 1}
    assert await reactions.set_reaction(db, target, on=True, **react) == {"heart": 1}
    assert await reactions.my_reactions(db, target, user_id, [post_id]) == {post_id: {"heart"}}
    assert await reactions.set_reaction(db, target, on=False, **react) == {}
    await posts.set_hidden(db, kind, post_id, reason="Spam.", now=utcnow())
    with pytest.raises(reactions.ReactionTargetNotFound):
        await reactions.set_reaction(db, target, on=True, **react)


@pytest.mark.parametrize("name", CHILDREN)
async def test_a_new_comment_or_reply_lands_on_the_page_that_shows_it(db, posting, name):
    kind = posts.KINDS[name]
    first_id, parent_id = await posting.post(kind, "first")
    later = [await posting.child(kind, parent_id, f"number {number}") for number in range(4)]
    assert await posts.page_cursor(db, kind, parent_id, first_id, page_size=2) is None
    assert await posts.page_cursor(db, kind, parent_id, later[0], page_size=2) is None
    assert await posts.page_cursor(db, kind, parent_id, later[1], page_size=2) == str(later[0])
    assert await posts.page_cursor(db, kind, parent_id, later[3], page_size=2) == str(later[2])
    assert await posts.page_cursor(db, kind, parent_id, later[3]) is None  # the kind's own pages hold all five


@pytest.mark.parametrize("name", TOP_LEVEL)
async def test_ideas_and_threads_move_with_their_counters(db, posting, name):
    kind = posts.KINDS[name]
    post_id, _ = await posting.post(kind)
    container = kind.container
    holder = container.table
    before = {row["id"]: row for row in await db.fetch_all(holder.select())}
    current = (await posts.get(db, kind, post_id))[container.key]
    if kind is posts.IDEA:
        destination = await board_queries.create_board(db, slug="elsewhere", name="Elsewhere")
    else:
        destination = next(holder_id for holder_id in before if holder_id != current)
    names = await posts.move(db, kind, post_id, destination)
    assert names[0] == before[current]["name"]
    assert (await posts.get(db, kind, post_id))[container.key] == destination
    after = {row["id"]: row for row in await db.fetch_all(holder.select())}
    assert after[current][container.count] == before[current][container.count] - 1
    assert after[destination][container.count] == before.get(destination, {container.count: 0})[container.count] + 1
