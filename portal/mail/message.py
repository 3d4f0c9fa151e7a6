"""Composing an email: text and HTML from templates/emails/, and the headers mail clients rely on."""

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from portal.settings import Settings
from portal.templating import TEMPLATES_DIR

# Emails render outside any request, so they get an environment of their own: HTML escaped,
# text not, and a missing variable is an error rather than a silent blank in thousands of emails.
# In text every line end counts: a block tag's own line leaves nothing behind (trim_blocks,
# lstrip_blocks), and a template keeps its last line end, so that what follows an
# {% include %} starts on a line of its own.
environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html"], default_for_string=False, default=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def one_line(text: str, limit: int = 250) -> str:
    """A header value: no line breaks (they would start new headers), not too long."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def recipient(display_name: str, address: str) -> Address | str:
    try:
        return Address(display_name=one_line(display_name, 80), addr_spec=address)
    except (ValueError, IndexError):
        return address


def compose(
    settings: Settings,
    *,
    to: Address | str,
    subject: str,
    template: str,
    context: dict[str, Any],
    unsubscribe_url: str | None,
    now: datetime,
) -> EmailMessage:
    """A multipart text + HTML email from `emails/<template>.txt` and `.html`; `unsubscribe_url`
    None for an email the member asked for (an address confirmation), which has no list to leave."""
    context = {
        **context,
        "site_name": settings.site_name,
        "public_url": settings.public_url,
        "unsubscribe_url": unsubscribe_url,
        "settings_url": f"{settings.public_url}/settings/notifications",
    }
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = one_line(subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=parseaddr(settings.mail_from)[1].rpartition("@")[2] or "localhost")
    # Tells vacation responders and the like not to answer (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url is not None:
        # RFC 8058: mail clients offer an unsubscribe button that POSTs to this address.
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(environment.get_template(f"emails/{template}.txt").render(context))
    message.add_alternative(environment.get_template(f"emails/{template}.html").render(context), subtype="html")
    return message
