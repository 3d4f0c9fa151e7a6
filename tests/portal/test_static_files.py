"""Static files under content-hashed names with long-lived caching, the favicon, and compression."""

import gzip
import hashlib

import httpx
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from starlette.applications import Starlette
from starlette.routing import Mount

from portal.static_files import IMMUTABLE, SHORT, HashedStaticFiles
from portal.templating import STATIC_DIR
from tests.pages import has, texts

GZIP = {"Accept-Encoding": "gzip"}


async def test_pages_name_static_files_by_their_content_and_browsers_keep_them_a_year(visitor):
    head = HTMLParser((await visitor.get("/")).text).head
    stylesheet = head.css_first('link[rel="stylesheet"]').attributes["href"]
    script = head.css_first("script[src]").attributes["src"]
    for address, name in ((stylesheet, "style.css"), (script, "app.js")):
        content = (STATIC_DIR / name).read_bytes()
        stem, suffix = name.rsplit(".", 1)
        assert address == f"/static/{stem}.{hashlib.sha256(content).hexdigest()[:12]}.{suffix}"
        hashed = await visitor.get(address)
        assert hashed.status_code == 200 and hashed.content == content
        assert hashed.headers["cache-control"] == IMMUTABLE == "public, max-age=31536000, immutable"
        plain = await visitor.get(f"/static/{name}")
        assert plain.status_code == 200 and plain.content == content and plain.headers["cache-control"] == SHORT
        # A page from before a deploy asks for a digest that is no longer the file's: not for keeps.
        stale = await visitor.get(f"/static/{stem}.0123456789ab.{suffix}")
        assert stale.status_code == 200 and stale.headers["cache-control"] == SHORT
    assert (await visitor.get("/static/nothing.0123456789ab.css")).status_code == 404
    assert (await visitor.get("/static/../portal/settings.py")).status_code == 404


async def test_the_favicon_is_linked_and_answered(visitor):
    icon = HTMLParser((await visitor.get("/")).text).head.css_first('link[rel="icon"]').attributes
    assert icon["type"] == "image/svg+xml"
    linked = await visitor.get(icon["href"])
    assert linked.status_code == 200 and linked.headers["content-type"] == "image/svg+xml"
    assert linked.headers["cache-control"] == IMMUTABLE
    old_style = await visitor.get("/favicon.ico")
    assert old_style.status_code == 301
    followed = await visitor.get(old_style.headers["location"])
    assert followed.status_code == 200 and followed.content == linked.content


async def test_text_is_compressed_but_not_a_signed_in_page_nor_tiny_or_compressed_bodies(visitor, person):
    page = await visitor.get("/", headers=GZIP)
    assert page.headers["content-encoding"] == "gzip" and "accept-encoding" in page.headers["vary"].lower()
    assert texts(page, "h1") == ["Ideas"]  # the client unpacked it
    for address in ("/api", "/api/v1/openapi.json"):
        assert (await visitor.get(address, headers=GZIP)).headers.get("content-encoding") == "gzip", address
    raw = await visitor.client.send(visitor.client.build_request("GET", "/", headers=GZIP), stream=True)
    compressed = b"".join([chunk async for chunk in raw.aiter_raw()])
    assert len(compressed) < len(gzip.decompress(compressed)) / 2
    await raw.aclose()
    assert "content-encoding" not in (await visitor.get("/", headers={"Accept-Encoding": "identity"})).headers

    # Pages a session sees hold its CSRF token and private data: never compressed (BREACH).
    linus = await person("linus")
    member_page = await linus.get("/", headers=GZIP)
    assert member_page.status_code == 200 and "content-encoding" not in member_page.headers
    assert has(member_page, '[name="csrf-token"]')
    stylesheet = HTMLParser(member_page.text).head.css_first('link[rel="stylesheet"]').attributes["href"]
    assert (await linus.get(stylesheet, headers=GZIP)).headers["content-encoding"] == "gzip"

    # Under 500 bytes, and types that are compressed already, go as they are.
    tiny = await visitor.get("/favicon.ico", headers=GZIP)
    assert "content-encoding" not in tiny.headers
    picture = b"\x89PNG\r\n\x1a\n" + b"\x00" * 5000  # compresses well, but a PNG is compressed already
    uploaded = await linus.client.post(
        "/settings/profile/avatar", data={"csrf_token": linus.csrf}, files={"avatar": ("me.png", picture)}
    )
    assert uploaded.status_code == 303
    avatar = await visitor.get("/people/linus/avatar?v=1", headers=GZIP)
    assert avatar.content == picture and "content-encoding" not in avatar.headers


async def test_a_static_file_is_the_same_whoever_asks_so_caches_keep_one_copy(visitor, person):
    # `Vary: Cookie` would make a browser or a proxy keep a copy per session cookie and ask again
    # whenever the cookie changes (signing in, a flash message): no longer cached "for a year".
    linus = await person("linus")
    await visitor.get("/signin")  # a visitor with a session of their own (its CSRF token)
    stylesheet = HTMLParser((await linus.get("/")).text).head.css_first('link[rel="stylesheet"]').attributes["href"]
    for someone in (visitor, linus):
        assert someone.client.cookies.get("session")
        for address in (stylesheet, "/static/app.js", "/static/nothing.css"):
            response = await someone.get(address, headers=GZIP)
            varies = {name.strip().lower() for name in response.headers.get("vary", "").split(",")}
            assert "cookie" not in varies and "set-cookie" not in response.headers, (address, response.headers)


async def test_every_file_static_url_can_name_is_served_under_that_name(tmp_path):
    # static_url() names any file under static/: one in a folder, or without a suffix, too.
    (tmp_path / "icons").mkdir()
    (tmp_path / "icons" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "LICENSE").write_text("Free to use.")
    (tmp_path / "style.css").write_text("body { color: black; }")
    files = HashedStaticFiles(directory=tmp_path)
    app = Starlette(routes=[Mount("/static", files, name="static")])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        for name in ("icons/logo.svg", "LICENSE", "style.css"):
            hashed = files.hashed_name(name)
            assert hashed != name
            response = await client.get(f"/static/{hashed}")
            assert response.status_code == 200, hashed
            assert response.content == (tmp_path / name).read_bytes() and response.headers["cache-control"] == IMMUTABLE
        assert (await client.get("/static/icons/other.0123456789ab.svg")).status_code == 404
