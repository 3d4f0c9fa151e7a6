"""What a domain adds to the portal, stated in one place: its `Domain`.

Each package that plugs into the shell (the shell's own services such as accounts and people,
and the domains ideas, discussions, roadmap, contributors) exposes one `Domain` object, usually
as `<package>.domain.domain`. `portal/app.py` names those objects in one ordered list and
`Assembly` merges them: nothing is registered by the side effect of an import, so a test can build
an app from any prefix of the list, and a reader of `app.py` sees every domain and what it adds.

The fields are plain data (sequences and mappings of callables) so that a domain can be read at a
glance; the shell reads them through the `Assembly` stored on `app.state.assembly`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

# Callables a domain hands to the shell. Each is documented where the shell calls it.
Rebuild = Callable[..., Awaitable[None]]  # (db) -> None: derived data rebuilt after an archive import
ForgetHook = Callable[..., Awaitable[None]]  # (db, user_id) -> None: account deletion
ProfileSection = Callable[..., Awaitable[dict[str, Any]]]  # (db, request, member) -> context
WelcomeSection = Callable[..., Awaitable[dict[str, Any]]]  # (db, request) -> context
HiddenCheck = Callable[..., Awaitable[bool]]  # (db, id) -> is the post hidden
PostSource = Callable[..., Awaitable[dict[int, str]]]  # (db, ids) -> {id: markdown}


@dataclass(frozen=True)
class Domain:
    """Everything one package adds. Every field is optional; names are unique across domains
    (the `Assembly` refuses a second registration of a route group, job kind, template global,
    CLI command, export section or post kind)."""

    name: str
    routes: Sequence[BaseRoute] = ()
    # The modules whose SQLAlchemy tables are this domain's (on portal.db.metadata): the
    # migration environment and the whole-site export read them.
    tables: Sequence[ModuleType] = ()
    # portal.openapi.ApiSection objects: JSON API operations and their OpenAPI parts.
    api_sections: Sequence[Any] = ()
    # kind -> portal.jobs.runner.JobKind
    jobs: Mapping[str, Any] = field(default_factory=dict)
    # Names every template can use (functions mostly, such as idea_rows; or constants).
    template_globals: Mapping[str, Any] = field(default_factory=dict)
    # click commands added to the `roundtable` group.
    cli_commands: Sequence[Any] = ()
    # Account deletion: hooks run in order inside the deletion's transaction.
    forget_hooks: Sequence[ForgetHook] = ()
    # The member's data download: name -> portal.people.export.ExportSection, and the
    # "table.column" names left out on purpose, with why.
    export_sections: Mapping[str, Any] = field(default_factory=dict)
    export_left_out: Mapping[str, str] = field(default_factory=dict)
    # Sections on other domains' pages.
    profile_sections: Sequence[ProfileSection] = ()
    welcome_sections: Sequence[WelcomeSection] = ()
    # The activity page: sources of rows (portal.people.activity.Source) and, per row kind, its link.
    activity_sources: Sequence[Any] = ()
    activity_links: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)
    # Posts of this domain that notifications quote and hide: kind -> reader.
    hidden_checks: Mapping[str, HiddenCheck] = field(default_factory=dict)
    post_sources: Mapping[str, PostSource] = field(default_factory=dict)
    # Run inside an archive's import once every row is in (portal/transfer/archive.py): rebuild
    # what the archive leaves out because it is derived (the search indexes).
    after_import: Sequence[Rebuild] = ()
    # Panels on another domain's page, by page name ("idea": the idea page): each an async
    # function (db, request, subject row) returning a context dict merged into that page's.
    page_panels: Mapping[str, Sequence[Callable[..., Awaitable[dict[str, Any]]]]] = field(default_factory=dict)


def _merge_mappings(domains: Sequence[Domain], name: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for domain in domains:
        for key, value in getattr(domain, name).items():
            if key in merged:
                raise ValueError(f"{domain.name} registers {name} {key!r}, which another domain already has")
            merged[key] = value
    return merged


def _concat(domains: Sequence[Domain], name: str) -> list[Any]:
    return [item for domain in domains for item in getattr(domain, name)]


@dataclass(frozen=True)
class Assembly:
    """The domains of one app, merged. Built once by create_app()."""

    domains: tuple[Domain, ...]
    routes: list[BaseRoute]
    tables: list[ModuleType]
    api_sections: list[Any]
    jobs: dict[str, Any]
    template_globals: dict[str, Any]
    cli_commands: list[Any]
    forget_hooks: list[ForgetHook]
    export_sections: dict[str, Any]
    export_left_out: dict[str, str]
    profile_sections: list[ProfileSection]
    welcome_sections: list[WelcomeSection]
    activity_sources: list[Any]
    activity_links: dict[str, Callable[[Any], str]]
    hidden_checks: dict[str, HiddenCheck]
    post_sources: dict[str, PostSource]
    after_import: list[Rebuild]
    page_panels: dict[str, list[Callable[..., Awaitable[dict[str, Any]]]]]

    @classmethod
    def of(cls, domains: Sequence[Domain]) -> Assembly:
        names = [domain.name for domain in domains]
        if len(set(names)) != len(names):
            raise ValueError(f"a domain is named twice: {names}")
        return cls(
            domains=tuple(domains),
            routes=_concat(domains, "routes"),
            tables=_concat(domains, "tables"),
            api_sections=_concat(domains, "api_sections"),
            jobs=_merge_mappings(domains, "jobs"),
            template_globals=_merge_mappings(domains, "template_globals"),
            cli_commands=_concat(domains, "cli_commands"),
            forget_hooks=_concat(domains, "forget_hooks"),
            export_sections=_merge_mappings(domains, "export_sections"),
            export_left_out=_merge_mappings(domains, "export_left_out"),
            profile_sections=_concat(domains, "profile_sections"),
            welcome_sections=_concat(domains, "welcome_sections"),
            activity_sources=_concat(domains, "activity_sources"),
            activity_links=_merge_mappings(domains, "activity_links"),
            hidden_checks=_merge_mappings(domains, "hidden_checks"),
            post_sources=_merge_mappings(domains, "post_sources"),
            after_import=_concat(domains, "after_import"),
            page_panels={
                page: [panel for domain in domains for panel in domain.page_panels.get(page, ())]
                for page in {page for domain in domains for page in domain.page_panels}
            },
        )


# The assembly of the app serving the request or running the job at hand, for the few shell
# functions that domain code calls deep inside its queries, where no request is at hand
# (notify() asks the domains whether what a notification is about is hidden). Set by
# AssemblyMiddleware for each request, by the job runner for each job, and by `using()`.
_in_use: ContextVar[Assembly | None] = ContextVar("roundtable_assembly", default=None)


def in_use() -> Assembly | None:
    return _in_use.get()


@contextmanager
def using(assembly: Assembly) -> Iterator[Assembly]:
    token = _in_use.set(assembly)
    try:
        yield assembly
    finally:
        _in_use.reset(token)


class AssemblyMiddleware:
    """Makes the app's assembly the one `in_use()` while a request runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _in_use.set(scope["app"].state.assembly)
        try:
            await self.app(scope, receive, send)
        finally:
            _in_use.reset(token)
