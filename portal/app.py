"""create_app(): the domains, the routes, the ordered middleware, the lifespan and the error pages."""

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

import contributors.domain
import ideas.discussions.domain
import ideas.domain
import ideas.moderation.domain
import portal.accounts.domain
import portal.mail.domain
import portal.notifications.domain
import portal.people.domain
import portal.static_files
import portal.transfer.domain
import portal.webhooks.domain
import roadmap.domain
from portal import faults, openapi, secret_links
from portal.accounts import oauth
from portal.accounts.auth import SessionBackend, SessionCookieMiddleware
from portal.accounts.guards import SuspensionMiddleware
from portal.accounts.passwords import password_hasher
from portal.api import authentication_failed, error_for, error_json, is_api_request
from portal.compression import CompressionMiddleware
from portal.db import Database
from portal.domains import Assembly, AssemblyMiddleware, Domain
from portal.errors import DomainError
from portal.header import site_header
from portal.jobs.runner import JobLoop, KickJobsMiddleware
from portal.ratelimit import Limiter, RateLimitMiddleware
from portal.schema import check_schema
from portal.security import CSRFMiddleware, SecurityHeadersMiddleware, add_security_headers
from portal.settings import Settings
from portal.static_files import STATIC_PREFIX, HashedStaticFiles
from portal.templating import STATIC_DIR, error_response, render, templates

logger = logging.getLogger("roundtable")


# Every package that plugs into the shell, in the order the app tries their routes: the ideas
# first (the most asked-for pages), then the API, then the others. What each adds is its
# `domain` (<package>/domain.py); a test can build an app from a part of this list.
DOMAINS: list[Domain] = [
    ideas.domain.domain,
    portal.accounts.domain.domain,
    portal.notifications.domain.domain,
    portal.mail.domain.domain,
    roadmap.domain.domain,
    portal.people.domain.domain,
    ideas.discussions.domain.domain,
    ideas.moderation.domain.domain,
    portal.webhooks.domain.domain,
    portal.transfer.domain.domain,
    contributors.domain.domain,
]


def api(assembly: Assembly, title: str) -> tuple[list[BaseRoute], dict]:
    """The JSON API's routes and its OpenAPI document, from the domains' sections."""
    return openapi.mount(assembly.api_sections, title=title)


def route_groups(assembly: Assembly, api_routes: list[BaseRoute]) -> list[list[BaseRoute]]:
    """The site's routes, domain by domain, in the order Starlette tries them: the first domain's
    (the ideas' pages and votes), then the API, then the other domains' in the list's order.
    Within a group a path may match two routes (/boards/new before /boards/{slug}); across
    groups none may (tests/portal/test_routes.py), so the order of the groups changes nothing
    but speed (each route tried costs ~0.5 us)."""
    first, *others = [list(domain.routes) for domain in assembly.domains]
    return [first, api_routes, *others]


def create_app(settings: Settings | None = None, domains: Sequence[Domain] = DOMAINS) -> Starlette:
    settings = settings or Settings.from_environ()
    assembly = Assembly.of(domains)
    db = Database(
        settings.database_url,
        pool_size=settings.db_pool_size,
        busy_timeout_ms=settings.sqlite_busy_timeout,
        sqlite_readers=settings.sqlite_readers,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await db.connect()
        try:
            await check_schema(db)
            app.state.jobs.start()
            yield
        finally:
            await app.state.jobs.stop()
            await db.disconnect()

    limiter = Limiter(str(settings.redis_url), enabled=settings.rate_limits, timeout=settings.rate_limit_timeout / 1000)
    middleware = [
        # Outermost, so that every page and error page is compressed; not for sessions (BREACH).
        Middleware(CompressionMiddleware),
        # Next: a full disk or an unreachable database, met in any layer below, answers 503.
        Middleware(
            faults.FaultsMiddleware,
            health=lambda scope: scope["app"].state.db.health,
            render=storage_fault_response,
            max_body=settings.max_form_bytes,
        ),
        Middleware(KickJobsMiddleware),
        # Shell code that domain code calls deep in its queries asks the app's domains (notify()).
        Middleware(AssemblyMiddleware),
        Middleware(SecurityHeadersMiddleware),
        Middleware(
            SessionCookieMiddleware,
            secret_key=str(settings.secret_key),
            max_age=settings.session_max_age,
        ),
        Middleware(AuthenticationMiddleware, backend=SessionBackend(), on_error=authentication_failed),
        Middleware(SuspensionMiddleware, render_error=error_response),
        Middleware(RateLimitMiddleware, limiter=limiter, render_error=error_for),
        Middleware(
            CSRFMiddleware,
            max_body=settings.max_form_bytes,
            render_error=error_for,
            # A signed token (one-click unsubscribe) or a secret (git hosts' push webhooks) in the
            # address authorizes these POSTs, which come from outside any session.
            exempt_prefixes=("/unsubscribe/", "/hooks/"),
        ),
    ]
    api_routes, api_document = api(assembly, settings.site_name)
    static_files = HashedStaticFiles(directory=STATIC_DIR, reload=settings.debug)
    routes = [
        Mount(STATIC_PREFIX.rstrip("/"), static_files, name="static"),
        *portal.static_files.routes,
        Route("/readyz", faults.readyz, name="readyz"),
        *(route for group in route_groups(assembly, api_routes) for route in group),
    ]
    app = Starlette(
        debug=settings.debug,
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error, DomainError: domain_error, 500: server_error},
    )
    app.state.settings = settings
    app.state.assembly = assembly
    app.state.route_names = frozenset(route.name for route in app.routes if getattr(route, "name", None))
    # One Jinja environment per process: an app built from fewer domains leaves the others'
    # globals in place, which its templates do not call.
    templates.env.globals.update({"site_header": site_header, **assembly.template_globals})
    if settings.debug:
        templates.env.auto_reload = True
    app.state.db = db
    app.state.static_files = static_files
    app.state.jobs = JobLoop(db, settings, assembly)
    app.state.openapi = api_document
    app.state.password_hasher = password_hasher(settings.argon2_profile)
    app.state.limiter = limiter
    app.state.oauth, app.state.oauth_providers = oauth.configure(settings)
    return app


async def http_error(request: Request, error: HTTPException) -> Response:
    if error.status_code == 404 and error.detail == "Not Found":
        message = "There is nothing at this address."
    elif error.status_code == 405:
        message = "This address does not accept that kind of request."
    else:
        message = error.detail
    if is_api_request(request):
        return error_json(error.status_code, message, headers=error.headers)
    return error_response(request, error.status_code, message)


async def domain_error(request: Request, error: DomainError) -> Response:
    """A refusal raised by a query or an endpoint (portal.errors): the error page, or on the API
    the JSON error body, with the refusal's status and message."""
    if is_api_request(request):
        return error_json(error.status, error.message, error.field)
    return error_response(request, error.status, error.message)


async def server_error(request: Request, error: Exception) -> Response:
    path = secret_links.masked_path(request.url.path)  # a password link's token must not reach the log
    logger.exception("Unhandled error on %s %s", request.method, path, exc_info=error)
    if is_api_request(request):
        response = error_json(500, "Something went wrong on our side; it has been logged.")
        add_security_headers(response.headers, request.url.scheme)
        return response
    response = render(request, "errors/500.html", status_code=500)
    # This page is rendered outside the middleware that adds these to every other response.
    add_security_headers(response.headers, request.url.scheme)
    return response


def storage_fault_response(
    request: Request, status: int, message: str, fields: list[tuple[str, str]], kind: str
) -> Response:
    """The 503 of portal.faults: JSON on the API; elsewhere a page that gives a form post's text
    back, in a form that sends it again."""
    if is_api_request(request):
        response = error_json(status, message)
    else:
        action = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        context = {"message": message, "fields": fields, "kind": kind, "action": action}
        response = render(request, "errors/503.html", context, status_code=status)
    # Rendered outside the middleware that adds these to every other response.
    add_security_headers(response.headers, request.url.scheme)
    return response
