"""Accounts: signing up and in (with a password or a provider), sessions, roles, API tokens."""

from portal.accounts import oauth_routes, routes, tables, token_routes
from portal.domains import Domain

domain = Domain(
    name="portal.accounts",
    routes=[*routes.routes, *oauth_routes.routes, *token_routes.routes],
    tables=[tables],
)
