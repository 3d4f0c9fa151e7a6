"""Rows of a list rendered once for what they show, and remembered by it.

A list page is mostly rows, and a row looks the same to everyone who sees it until what it shows
changes. So each row's HTML is kept (a bounded LRU per process) under a key made of everything
the row template is given: the row's fields named by the caller, the values the caller computes
per row (how old it reads, the viewer's own vote or reactions), and what is the same for the
whole page (who looks: a visitor, a member, a maintainer). The row template sees those and
nothing else, with undefined names an error, so nothing it shows can be missing from the key: a
changed row is a new key, nothing is ever stale, and processes share nothing. The viewer's CSRF
token, different for every member, is put in after the lookup.
"""

import json
import secrets
from collections import OrderedDict
from collections.abc import Callable, Hashable
from operator import itemgetter
from typing import Any

from jinja2 import StrictUndefined
from markupsafe import Markup, escape

from portal.templating import templates

# Where a template wrote the token. Escaped text never contains "<", sanitized Markdown keeps no
# comments, and the mark is new in each process and never leaves it (replaced before sending).
CSRF_MARK = Markup(f"<!--csrf-{secrets.token_hex(16)}-->")

# The same templates, filters and globals; a name the row template is not given is an error.
_strict = templates.env.overlay(undefined=StrictUndefined)


class Viewer:
    """What a row template may know of who looks: signed in (this object), and as a maintainer."""

    __slots__ = ("is_maintainer",)

    def __init__(self, is_maintainer: bool) -> None:
        self.is_maintainer = is_maintainer


class _Kept:
    """A bounded LRU of HTML by key, per process; the HTML kept split where the CSRF mark was."""

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._html: OrderedDict[Hashable, tuple[str, ...]] = OrderedDict()

    def get(self, key: Hashable) -> tuple[str, ...] | None:
        pieces = self._html.get(key)
        if pieces is not None:
            self._html.move_to_end(key)
        return pieces

    def put(self, key: Hashable, html: str) -> tuple[str, ...]:
        # Split once here: joining the pieces with the token costs a small part of a search for the mark.
        pieces = self._html[key] = tuple(html.split(CSRF_MARK))
        if len(self._html) > self._maxsize:
            self._html.popitem(last=False)
        return pieces


def _with_token(context: Any, kept: list[tuple[str, ...]]) -> Markup:
    """The kept HTML with the member's CSRF token where the mark was; a visitor's forms (disabled) get none."""
    token = str(escape(str(context["csrf_token"]))) if context.get("current_user") is not None else ""
    return Markup("".join([token.join(pieces) for pieces in kept]))


class PartMemo:
    """A part of a page rendered once for `values` (and, `by_address`, the request's path and query).

    For parts such as a list's ordering tabs, which follow from the address alone, or the site's
    header, which follows from who looks. The template gets `request` (for url_for, and
    request.url when `by_address`), `csrf_token` and the names in `values` and `constants`
    (values that never change while the process runs, left out of the key).
    """

    def __init__(self, template: str, *, by_address: bool = True, maxsize: int = 1024) -> None:
        self.template = template
        self.by_address = by_address
        self._kept = _Kept(maxsize)

    def render(self, context: Any, values: dict[str, Hashable], constants: dict[str, Any] | None = None) -> Markup:
        request = context["request"]
        scope = request.scope
        key = (tuple(values.items()), scope.get("root_path"))
        if self.by_address:
            key += (scope["path"], scope["query_string"])
        pieces = self._kept.get(key)
        if pieces is None:
            names = {**(constants or {}), **values, "request": request, "csrf_token": CSRF_MARK}
            pieces = self._kept.put(key, _strict.get_template(self.template).render(names))
        return _with_token(context, [pieces])


class RowMemo:
    """The rendered rows of one row template (a bounded LRU of their HTML).

    `fields`: the row's values the template reads; those in `json_fields` arrive as JSON text,
    which is part of the key as it is and parsed only for a row rendered anew.
    """

    def __init__(
        self,
        template: str,
        fields: tuple[str, ...],
        *,
        computed: tuple[str, ...] = (),
        json_fields: tuple[str, ...] = (),
        maxsize: int = 4096,
    ) -> None:
        """`computed`: the names of the values the caller computes for each row (see render())."""
        self.template = template
        self.fields = fields
        self.computed = computed
        self.json_fields = json_fields
        self._values_of = itemgetter(*fields)
        self._kept = _Kept(maxsize)

    def render(
        self,
        context: Any,
        rows: list[Any],
        page: dict[str, Hashable],
        per_row: Callable[[Any], tuple[Hashable, ...]],
        constants: dict[str, Any] | None = None,
    ) -> Markup:
        """The rows' HTML, in order.

        `page`: values the same for every row; `per_row(row)`: the values named by `computed`, in
        that order, for each row (a tuple: it goes into the key as it is); `constants`: values that
        never change while the process runs (labels), left out of the key. The template gets `row`
        (a dict of `fields`), `current_user` (None or a Viewer), `csrf_token`, `request` (for
        url_for), and the names in `page`, `computed` and `constants`.
        """
        user = context.get("current_user")
        viewer = None if user is None else Viewer(user.is_maintainer)
        request = context["request"]
        page_key = (tuple(page.items()), viewer is None, viewer is not None and viewer.is_maintainer)
        page_key += (request.scope.get("root_path"),)
        found = []
        kept, values_of = self._kept, self._values_of
        for row in rows:
            key = (values_of(row), per_row(row), page_key)
            pieces = kept.get(key)
            if pieces is None:
                values, computed, _ = key
                shown = dict(zip(self.fields, values, strict=True))
                for name in self.json_fields:
                    shown[name] = None if shown[name] is None else json.loads(shown[name])
                html = _strict.get_template(self.template).render(
                    {
                        **(constants or {}),
                        **page,
                        **dict(zip(self.computed, computed, strict=True)),
                        "row": shown,
                        "current_user": viewer,
                        "csrf_token": CSRF_MARK,
                        "request": request,
                    }
                )
                pieces = kept.put(key, html)
            found.append(pieces)
        return _with_token(context, found)
