"""Links whose path carries a secret, and how to show them where someone else reads: masked.

A password link (`/password/reset/<token>`) lets whoever holds it choose the member's password;
a confirmation link (`/confirm-email/<token>`) proves an address and embeds it; an unsubscribe
link (`/unsubscribe/<token>`) turns a member's email off; a push webhook's address
(`/hooks/repos/<id>/<token>`) makes the portal fetch a repository. Only the member a link was
emailed to (the admin who set it up, for a webhook) may follow it, so wherever an admin or an
operator reads what the portal sent or served (the outbox page, the instance export, the emails
written to the log, the access log) the token part is replaced by MASK, which no route accepts.
A route with a new kind of secret link adds its prefix here; tests/portal/test_secret_links.py
fails for a `{token}` route left out.
"""

import email
import email.policy
import logging
import re
from copy import deepcopy
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote

# What comes before the secret, as regular expressions: the secret is the next path segment.
SECRET_PATH_PREFIXES = (r"/password/reset/", r"/confirm-email/", r"/unsubscribe/", r"/hooks/repos/[0-9]+/")
MASK = "•••"

# The secret: the next path segment, unless it is masked already (masking twice changes nothing).
_SECRET = re.compile("(" + "|".join(SECRET_PATH_PREFIXES) + rf")(?!{MASK})[^\s\"'<>?#/]+")


def is_secret(path: str) -> bool:
    """Whether `path` (a link's path) carries a secret."""
    return _SECRET.search(path) is not None


def mask(text: str) -> str:
    """`text` with the token of every secret link replaced by MASK."""
    return _SECRET.sub(rf"\g<1>{MASK}", text)


def masked_path(path: str) -> str:
    """A requested path as it may be logged; percent-escapes are read first, as the router reads
    them (`/password%2Freset/<token>` reaches the password form too)."""
    unescaped = unquote(path)
    return mask(unescaped) if _SECRET.search(unescaped) else path


def mask_message(raw: str) -> str:
    """A stored email (as the outbox keeps it) with every secret link masked, in its headers
    (List-Unsubscribe) and in every text part, however the part is encoded."""
    message = email.message_from_string(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    changed = False
    for name, value in list(message.items()):
        if _SECRET.search(str(value)):
            message.replace_header(name, mask(str(value)))
            changed = True
    for part in message.walk():
        if part.get_content_maintype() == "text" and not part.is_multipart():
            content = part.get_content()
            if _SECRET.search(content):
                part.set_content(mask(content), subtype=part.get_content_subtype())
                changed = True
    return message.as_string() if changed else raw


class MaskSecretLinks(logging.Filter):
    """For uvicorn's access log: the requested path of each line, masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(arg, str) and "/" in arg for arg in record.args):
            record.args = tuple(masked_path(arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.msg, str):
            record.msg = mask(record.msg)
        return True


def uvicorn_log_config(base: dict[str, Any], level: str = "info") -> dict[str, Any]:
    """uvicorn's logging configuration (`base`, its LOGGING_CONFIG) with every handler masking
    secret links; given to uvicorn.run, so every worker process logs through it."""
    config = deepcopy(base)
    config.setdefault("filters", {})["secret_links"] = {"()": f"{__name__}.MaskSecretLinks"}
    for handler in config.get("handlers", {}).values():
        handler["filters"] = [*handler.get("filters", []), "secret_links"]
    # The portal's own lines (a lost database, a full disk, emails logged without SMTP_HOST) go
    # where uvicorn's go: without a handler of its own, the "roundtable" logger printed nothing.
    config.setdefault("loggers", {})["roundtable"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config
