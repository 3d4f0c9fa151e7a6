"""The header of every page, rendered once per kind of viewer (portal.memo)."""

from dataclasses import dataclass
from typing import Any

from jinja2 import pass_context
from markupsafe import Markup

from portal.memo import PartMemo


@dataclass(frozen=True)
class HeaderViewer:
    """All the header shows of the signed-in member."""

    display_name: str
    unread_notifications: int
    is_maintainer: bool
    is_admin: bool


_header = PartMemo("_site_header.html", by_address=False)


@pass_context
def site_header(context: Any) -> Markup:
    user = context.get("current_user")
    viewer = user and HeaderViewer(user.display_name, user.unread_notifications, user.is_maintainer, user.is_admin)
    # The app's route names: the links of the domains it has (one frozenset per app, its hash kept).
    routes = context["request"].app.state.route_names
    return _header.render(context, {"current_user": viewer, "site_name": context["site_name"], "routes": routes})
