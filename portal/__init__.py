"""Roundtable's shell: the app, settings, database, accounts, security and CLI."""

from portal.routing import register_convertors

# The `{name:id}` and `{name:slug}` path convertors, before any domain builds its routes.
register_convertors()
