"""Members describe themselves; everyone sees what they did in the community."""

import sqlalchemy as sa

from portal.people.tables import avatars, profile_expertise, profiles
from tests.pages import has, link_to, links, one, parsed, shown, texts, values

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 100
GOOD_PROFILE = {
    "display_name": "Ada King",
    "bio": "I write **analytical** engines.<script>alert(1)</script>",
    "affiliation": "Analytical Society",
    "expertise": "Postgres, accessibility ,postgres, Rust",
    "links": "Blog https://ada.example.org/blog\nhttps://code.example.org/ada",
    "for_hire": "on",
    "hire_services": "Database tuning.\nAccessibility audits.",
    "hire_rates": "",
    "hire_contact": "https://ada.example.org/contact",
}


async def test_ada_fills_in_her_profile_and_a_visitor_reads_it(person, visitor):
    ada = await person("ada")
    form = await ada.get("/settings/profile")
    assert form.status_code == 200 and values(form)["display_name"] == "Ada"
    assert one(form, 'input[name="display_name"]').attributes["type"] == "text"
    saved = await ada.post("/settings/profile", GOOD_PROFILE)
    assert saved.status_code == 303 and saved.headers["location"] == "/settings/profile?saved=1"

    response = await visitor.get("/people/ada")
    assert response.status_code == 200
    page = parsed(response)
    assert "Ada King" in shown(page) and "Analytical Society" in shown(page)
    assert "analytical" in texts(page, "strong") and not has(page, "main script")
    assert len(page.css(".tag")) == 3  # postgres once, accessibility, rust
    assert link_to(page, "Blog") == "https://ada.example.org/blog"
    assert "Available for hire" in shown(page) and "Rates: ask" in texts(page, "p")
    assert "https://ada.example.org/contact" in links(page)
    assert one(page, "img.avatar").attributes["src"].startswith("data:image/svg+xml;base64,")  # the generated picture

    again = await ada.get("/settings/profile")
    kept = values(again)
    assert "accessibility, Postgres, Rust" in kept.values()
    assert kept["links"].startswith("Blog https://ada.example.org/blog")


async def test_bad_profile_input_is_refused_with_a_message_and_changes_nothing(person, db):
    ada = await person("ada")
    assert (await ada.post("/settings/profile", GOOD_PROFILE)).status_code == 303
    before = await db.fetch_one(sa.select(profiles).where(profiles.c.user_id == ada.id))
    cases = [
        ({"bio": "x" * 4001}, "About you can be at most 4000 characters"),
        ({"expertise": ", ".join(f"topic {n}" for n in range(9))}, "at most 8 areas of expertise"),
        ({"expertise": "a" * 41}, "cannot be a tag"),
        ({"links": "javascript:alert(1)"}, "is not a web address"),
        ({"links": "ftp://files.example.org"}, "is not a web address"),
        ({"links": "\n".join(f"https://e{n}.example.org" for n in range(6))}, "at most 5 links"),
        ({"hire_contact": ""}, "Say how clients can reach you"),
        ({"display_name": ""}, "Display name is required"),
    ]
    for change, message in cases:
        response = await ada.post("/settings/profile", GOOD_PROFILE | change)
        assert response.status_code == 400, change
        assert message in shown(response), (change, response.text[:200])
        typed = next(iter(change.values()))
        if typed and "\n" not in typed:
            assert [value for value in values(response).values() if typed[:30] in value]  # what Ada typed is kept
    after = await db.fetch_one(sa.select(profiles).where(profiles.c.user_id == ada.id))
    assert dict(after._mapping) == dict(before._mapping)
    tags = await db.fetch_all(sa.select(profile_expertise.c.slug).where(profile_expertise.c.user_id == ada.id))
    assert sorted(row["slug"] for row in tags) == ["accessibility", "postgres", "rust"]


async def test_an_uploaded_picture_is_checked_by_content_and_served_safely(person, visitor, db):
    ada = await person("ada")
    await ada.get("/settings/profile")
    refused = {
        "an svg": ("face.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>', "image/svg+xml"),
        "text called png": ("face.png", b"hello, I am not a picture", "image/png"),
        "too large": ("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 300_000, "image/png"),
    }
    for name, upload in refused.items():
        response = await ada.client.post(
            "/settings/profile/avatar", data={"csrf_token": ada.csrf}, files={"avatar": upload}
        )
        assert response.status_code == 400, name
        expected = "too large: the limit is 256 KB" if name == "too large" else "not a PNG, JPEG or WebP"
        assert expected in shown(response), name
    nothing = await ada.client.post("/settings/profile/avatar", data={"csrf_token": ada.csrf})
    assert nothing.status_code == 400 and "Choose a picture file" in shown(nothing)
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(avatars)) == 0
    assert (await visitor.get("/people/ada/avatar")).status_code == 404

    uploaded = await ada.client.post(
        "/settings/profile/avatar", data={"csrf_token": ada.csrf}, files={"avatar": ("me.bin", WEBP, "text/plain")}
    )
    assert uploaded.status_code == 303
    page = await visitor.get("/people/ada")
    assert one(page, "img.avatar").attributes["src"] == "/people/ada/avatar?v=1"
    picture = await visitor.get("/people/ada/avatar?v=1")
    assert picture.status_code == 200 and picture.content == WEBP
    assert picture.headers["content-type"] == "image/webp"
    assert picture.headers["x-content-type-options"] == "nosniff"
    assert "max-age=31536000" in picture.headers["cache-control"]

    await ada.client.post("/settings/profile/avatar", data={"csrf_token": ada.csrf}, files={"avatar": ("a.png", PNG)})
    assert one(await visitor.get("/people/ada"), "img.avatar").attributes["src"] == "/people/ada/avatar?v=2"
    assert (await visitor.get("/people/ada/avatar")).headers["content-type"] == "image/png"
    removed = await ada.post("/settings/profile/avatar/remove")
    assert removed.status_code == 303
    assert (await visitor.get("/people/ada/avatar")).status_code == 404
    assert one(await visitor.get("/people/ada"), "img.avatar").attributes["src"].startswith("data:image/svg+xml")


async def test_a_profile_lists_ideas_shipped_ideas_and_comments_page_by_page(person, visitor):
    grace = await person("grace", role="maintainer")
    linus = await person("linus")
    shipped = await linus.submit_idea("Dark mode for the dashboard")
    await linus.submit_idea("Export reports as CSV")
    await grace.post(f"/ideas/{shipped}/status", {"status": "shipped", "note": "Out in 2.0."})
    for n in range(23):
        await linus.comment(shipped, f"Comment number {n:02d}")

    page = await visitor.get("/people/linus")
    assert page.status_code == 200
    assert "Ideas they helped ship" in shown(page)
    counts = texts(page, "li")
    assert "2 ideas" in counts and "23 comments" in counts and "1 shipped" in counts
    assert "Comment number 22" in shown(page) and "Comment number 03" in shown(page)
    assert "Comment number 02" not in shown(page)
    [older] = links(page, 'a[rel="next"]')
    second = await visitor.get(older)
    assert "Comment number 02" in shown(second) and "Comment number 00" in shown(second)
    assert "Comment number 03" not in shown(second) and not has(second, '[rel="next"]')

    assert (await visitor.get("/people/nobody-here")).status_code == 404
    assert (await visitor.get("/people/NOT%20A%20NAME")).status_code == 404
    assert (await visitor.get("/people/linus?before=abc")).status_code == 400
    # Names on ideas lead to their authors' profiles.
    assert "/people/linus" in links(await visitor.get(f"/ideas/{shipped}"))


async def test_signed_out_visitors_are_sent_to_sign_in_for_settings(visitor):
    for path in ("/settings/profile", "/settings/data", "/activity", "/settings/data/export"):
        response = await visitor.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/signin"), path
