"""Profile input checked field by field: names, bio, expertise tags, links, the for-hire section."""

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from portal.forms import Form
from portal.markdown import render_markdown

BIO_MAX = 4000
AFFILIATION_MAX = 120
TAG_MAX = 40
TAGS_MAX = 8
LINKS_MAX = 5
LINK_MAX = 300
SERVICES_MAX = 2000
RATES_MAX = 200
CONTACT_MAX = 300


def expertise_slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:TAG_MAX].strip("-")


def parse_profile(formdata: Mapping[str, Any]) -> Form:
    form = Form.from_formdata(formdata)
    form.text("display_name", label="Display name", max_length=80)
    bio = form.text("bio", label="About you", required=False, max_length=BIO_MAX, multiline=True)
    form.data["bio_html"] = render_markdown(bio) if bio and "bio" not in form.errors else ""
    form.text("affiliation", label="Affiliation", required=False, max_length=AFFILIATION_MAX)
    _expertise(form)
    _links(form)
    form.data["for_hire"] = form.raw.get("for_hire") == "on"
    form.text("hire_services", label="Services you offer", required=False, max_length=SERVICES_MAX, multiline=True)
    form.text("hire_rates", label="Rates", required=False, max_length=RATES_MAX)
    contact = form.text("hire_contact", label="How to contact you", required=False, max_length=CONTACT_MAX)
    if form.data["for_hire"] and not contact and "hire_contact" not in form.errors:
        form.error("hire_contact", "Say how clients can reach you (an address, a page, or “message me here”).")
    return form


def _expertise(form: Form) -> None:
    raw = form.text("expertise", label="Expertise", required=False, max_length=TAGS_MAX * (TAG_MAX + 2))
    named: dict[str, str] = {}
    for part in raw.split(","):
        name = " ".join(part.split())
        if not name:
            continue
        slug = expertise_slug(name)
        if not slug or len(name) > TAG_MAX:
            form.error("expertise", f"“{name[:50]}” cannot be a tag: use up to {TAG_MAX} letters, digits or spaces.")
            continue
        named.setdefault(slug, name)
    if len(named) > TAGS_MAX:
        form.error("expertise", f"List at most {TAGS_MAX} areas of expertise (this has {len(named)}).")
    form.data["expertise"] = named


def _links(form: Form) -> None:
    """One link per line, `https://...` or `Title https://...`."""
    raw = form.raw.get("links", "")
    links: list[dict[str, str]] = []
    for line in raw.replace("\r", "\n").split("\n"):
        line = " ".join("".join(ch for ch in line if ch.isprintable() or ch.isspace()).split())
        if not line:
            continue
        title, _, url = line.rpartition(" ")
        if len(line) > LINK_MAX:
            form.error("links", f"A link can be at most {LINK_MAX} characters.")
            break
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c in url for c in "<>\"'"):
            form.error("links", f"“{url[:60]}” is not a web address: links start with https:// or http://.")
            break
        links.append({"title": title or parts.netloc, "url": url})
    if len(links) > LINKS_MAX and "links" not in form.errors:
        form.error("links", f"Give at most {LINKS_MAX} links (this has {len(links)}).")
    form.data["links"] = links


def links_text(links: list[dict[str, str]]) -> str:
    """The links as the form shows them, one per line."""
    return "\n".join(f"{link['title']} {link['url']}" if link["title"] else link["url"] for link in links)


def parse_deletion(formdata: Mapping[str, Any], username: str) -> Form:
    form = Form.from_formdata(formdata)
    typed = form.text("confirm_username", label="Your username", max_length=64).lower()
    if typed and typed != username:
        form.error("confirm_username", f"Type your username, {username}, exactly to confirm.")
    return form
