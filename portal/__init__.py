"""Roundtable's shell: the app, settings, database, accounts, security and CLI."""

# Registers the `{name:id}` path convertor before any domain builds its routes.
import portal.routing  # noqa: F401
