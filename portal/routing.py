"""Path convertors the domains' routes use, and paths of named routes."""

from typing import Any

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles


class IdConvertor(Convertor):
    """A row id in a path: a positive integer that fits in 64 bits, else the route does not match."""

    regex = "[1-9][0-9]{0,17}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(int(value))


class SlugConvertor(Convertor):
    """A lower-case address segment such as a board's: letters, digits and '-'."""

    regex = "[a-z0-9][a-z0-9-]{0,63}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


def register_convertors() -> None:
    """Starlette's path convertors are global and read when a route is made: portal/__init__.py
    calls this before any domain's routes module makes its routes."""
    register_url_convertor("id", IdConvertor())
    register_url_convertor("slug", SlugConvertor())


def path_for(request: Request, name: str, /, **path_params: Any) -> str:
    """The path of a named route, without scheme and host.

    Starlette's url_for tries every route in turn and then builds a whole URL (~0.1 ms); a page of
    20 ideas asks for ~150 links. So the paths are formatted from a table built once per app; a
    route the table does not hold (one inside a mounted router) falls back to Starlette.
    """
    app = request.app
    table = app.__dict__.get("_roundtable_routes") or _route_table(app)
    route = table.get(name)
    if route is not None:
        # Under a Mount, root_path has the mount's prefix too; app_root_path is the app's own.
        root = request.scope.get("app_root_path", request.scope.get("root_path", ""))
        path_format, convertors = route
        if not path_params and not convertors:
            return root + path_format
        if path_params.keys() == convertors.keys():
            values = {key: convertors[key].to_string(value) for key, value in path_params.items()}
            return root + path_format.format(**values)
    return request.url_for(name, **path_params).path


def _route_table(app: Any) -> dict[str, tuple[str, dict]]:
    table = {}
    for route in app.routes:
        # A mount of files takes the path under it ("/static/{path}"); other mounts are routers.
        if route.name and (
            isinstance(route, Route) or (isinstance(route, Mount) and isinstance(route.app, StaticFiles))
        ):
            table[route.name] = (route.path_format, route.param_convertors)
    app.__dict__["_roundtable_routes"] = table
    return table
