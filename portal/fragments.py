"""Pieces of markup repeated on every row of a list, written in Python.

A Jinja2 macro call costs more than the markup it writes; a page of 20 ideas calls these
60 times. Each returns escaped Markup, the same HTML the templates would write.
"""

from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import pass_context
from markupsafe import Markup

_FOUNDER = Markup(' <span class="badge badge-founder" title="Founder of this project">founder</span>')
_MAINTAINER = Markup(' <span class="badge badge-maintainer" title="Maintains this project">maintainer</span>')


def person(username: str | None, display_name: str | None, role: str | None, is_founder: bool | None) -> Markup:
    """A member's name, linked to their profile, with their badges; a deleted member's posts say so."""
    if not username:
        return Markup('<span class="person person-deleted">deleted member</span>')
    badges = (_FOUNDER if is_founder else "") + (_MAINTAINER if role in ("maintainer", "admin") else "")
    return Markup('<span class="person"><a href="/people/%s">%s</a>%s</span>') % (
        quote(username, safe=""),
        display_name,
        badges,
    )


def status_badge(status: str, labels: dict[str, str]) -> Markup:
    return Markup('<span class="status status-%s">%s</span>') % (status, labels[status])


@pass_context
def vote_button(context: Any, idea: Any, voted: bool, next_path: str) -> Markup:
    """The vote form: works without JavaScript; app.js sends it in the background.

    A visitor who is not signed in gets a link to sign in and come back instead of a form.
    """
    if context.get("current_user") is None:
        title = "this hidden idea" if idea.get("hidden_at") is not None else idea["title"]
        return Markup(
            '<a class="vote-button" href="%s?%s">\n'
            '      <span class="vote-arrow" aria-hidden="true">&#x25B2;</span>\n'
            '      <span class="vote-count">%s</span>\n'
            '      <span class="vote-label">Vote</span><span class="visually-hidden"> for %s (sign in first)</span>\n'
            "    </a>"
        ) % (context["url_for"](context, "signin"), urlencode({"next": next_path}), idea["vote_count"], title)
    action = context["url_for"](context, "vote", idea_id=idea["id"])
    user = context.get("current_user")
    hidden = idea.get("hidden_at") is not None and not (user is not None and user.is_maintainer)
    return Markup(
        '<form method="post" action="%s" class="vote-form" data-vote-form>\n'
        '    <input type="hidden" name="csrf_token" value="%s">\n'
        '    <input type="hidden" name="vote" value="%s">\n'
        '    <input type="hidden" name="next" value="%s">\n'
        '    <button type="submit" class="vote-button%s" aria-pressed="%s">\n'
        '      <span class="vote-arrow" aria-hidden="true">&#x25B2;</span>\n'
        '      <span class="vote-count" data-vote-count>%s</span>\n'
        '      <span class="vote-label">Vote<span class="voted-suffix" aria-hidden="true">d</span></span>'
        '<span class="visually-hidden"> for %s</span>\n'
        "    </button>\n"
        '    <span class="visually-hidden" aria-live="polite" data-vote-status></span>\n'
        "  </form>"
    ) % (
        action,
        context.get("csrf_token", ""),
        "0" if voted else "1",
        next_path,
        " voted" if voted else "",
        "true" if voted else "false",
        idea["vote_count"],
        "this hidden idea" if hidden else idea["title"],
    )


@pass_context
def conduct_note(context: Any) -> Markup:
    """Under every form that posts something: the code of conduct it is posted under."""
    return Markup(
        '<p class="hint conduct-note">Posting here means following the <a href="%s">code of conduct</a>.</p>'
    ) % context["url_for"](context, "code_of_conduct")
