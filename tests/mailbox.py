"""A real SMTP server on loopback (aiosmtpd) that keeps every email it receives."""

import email
import email.policy
import re
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from portal.jobs.runner import run_due_jobs
from tests.apps import make_settings
from tests.servers import free_port

# The address emails link to in the tests that send them.
PUBLIC_URL = "http://ideas.example.net"

_UNSUBSCRIBE_IN_TEXT = re.compile(r"Stop emails about [^:]+: (\S+)")


class Mailbox:
    """Start and stop it like a real server; `port` stays the same across restarts."""

    def __init__(self, *, refuse: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.received: list[EmailMessage] = []
        self.refuse = refuse
        self._controller: Controller | None = None

    async def handle_RCPT(self, server, session: Session, envelope: Envelope, address: str, options) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session: Session, envelope: Envelope) -> str:
        self.received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.received if address in str(message["To"])]


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def unsubscribe_path(message: EmailMessage, public_url: str) -> str:
    """The path of the first per-kind unsubscribe link in the email's text, as a reader would click it."""
    match = _UNSUBSCRIBE_IN_TEXT.search(text_of(message))
    assert match, text_of(message)
    return match.group(1).removeprefix(public_url)


_URL = re.compile(r"https?://[^\s<>\"]+")


def portal_links(message: EmailMessage, public_url: str) -> list[str]:
    """The portal's links in the email's text, cut out as a mail client does: up to the next space
    or line end, without the punctuation of the sentence around it."""
    links = (match.group(0).rstrip(".,;:)") for match in _URL.finditer(text_of(message)))
    return [link for link in links if link.startswith(public_url + "/")]


def emailing_settings(database_url: str, data_dir, mailbox: Mailbox, **overrides: str):
    """The settings of a portal that sends its emails to `mailbox` and links to PUBLIC_URL."""
    return make_settings(
        database_url,
        data_dir,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(mailbox.port),
        SMTP_TLS="none",
        PUBLIC_URL=PUBLIC_URL,
        **overrides,
    )


async def deliver(app, **kwargs):
    """Run the jobs that are due, as the server would after a response: the emails go out."""
    return await run_due_jobs(app.state.db, app.state.settings, app.state.assembly, **kwargs)
