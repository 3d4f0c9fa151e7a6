"""The outbox: with no SMTP server emails go to the log and to the outbox that only admins read;
with one, each email is sent at most once, even when its sender is stopped or killed mid-batch."""

import asyncio
import contextlib
import email
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from portal.db import utcnow
from portal.jobs.runner import run_due_jobs
from portal.jobs.tables import jobs
from portal.mail.queries import queue_emails
from portal.mail.tables import outbox
from tests import processes
from tests.mailbox import Mailbox
from tests.pages import links, shown, texts
from tests.portal.jobs.runners import LEASE, runners, stop
from tests.servers import free_port
from tests.waiting import until


async def test_without_smtp_the_email_is_logged_without_its_unsubscribe_token_and_kept_for_admins(
    app, person, visitor, caplog
):
    ada, linus = await person("ada"), await person("linus")
    root = await person("root", role="admin")
    grace = await person("grace", role="maintainer")
    idea = await ada.submit_idea("Dark mode")
    await linus.comment(idea, "Yes please")

    with caplog.at_level(logging.INFO, logger="roundtable.mail"):
        report = await run_due_jobs(app.state.db, app.state.settings, app.state.assembly)

    assert report.done == 2 and report.failed == 0
    [record] = [record for record in caplog.records if record.name == "roundtable.mail"]
    logged = record.getMessage()
    assert "to ada@example.org" in logged and "Linus commented on “Dark mode”" in logged
    assert "http://127.0.0.1:8000/ideas/" in logged
    assert re.search(r"/unsubscribe/•••", logged) and not re.search(r"/unsubscribe/[\w-]{8,}", logged)
    assert "not-a-secret-only-for-tests" not in logged

    page = await root.get("/admin/outbox")
    assert page.status_code == 200
    assert "Linus commented on “Dark mode”" in shown(page) and "logged" in shown(page)
    assert "No SMTP server is set up" in shown(page)
    assert f"http://127.0.0.1:8000/ideas/{idea}" in shown(page)  # the text is there to read

    assert (await grace.get("/admin/outbox")).status_code == 403  # maintainers are not admins
    assert (await ada.get("/admin/outbox")).status_code == 403
    assert (await visitor.get("/admin/outbox")).headers["location"].startswith("/signin")
    assert "/admin/outbox" not in links(await ada.get("/"))
    assert "/admin/outbox" in links(await root.get("/"))


async def test_the_outbox_pages_back_by_fifties_with_the_same_statements_per_page(app, person, statements):
    root = await person("root", role="admin")
    emails = [
        {
            "user_id": root.id,
            "to_address": "root@example.org",
            "subject": f"Email number {number}",
            "kind": "comment",
            "message": f"Subject: Email number {number}\n\nBody {number}\n",
        }
        for number in range(60)
    ]
    await queue_emails(app.state.db, emails, now=utcnow())

    statements["n"] = 0
    first = await root.get("/admin/outbox")
    first_count = statements["n"]
    subjects = texts(first, "strong")
    assert "Email number 59" in subjects and "Email number 10" in subjects
    assert "Email number 9" not in subjects
    [older] = [href for href in links(first) if re.fullmatch(r"/admin/outbox\?before=\d+", href)]
    statements["n"] = 0
    second = await root.get(older)
    assert statements["n"] == first_count
    subjects = texts(second, "strong")
    assert "Email number 9" in subjects and "Email number 0" in subjects and "Older" not in shown(second)
    assert (await root.get("/admin/outbox?before=x")).status_code == 400
    assert await app.state.db.fetch_val(sa.select(sa.func.count()).select_from(outbox)) == 60


async def test_a_board_with_1500_followers_costs_the_request_a_few_statements_per_thousand_not_per_follower(
    app,
    person,
    statements,
):
    from ideas.tables import board_follows, boards
    from portal.accounts.tables import users
    from portal.jobs.tables import jobs

    db = app.state.db
    linus = await person("linus")
    board_id = await db.fetch_val(sa.select(boards.c.id).where(boards.c.slug == "general"))
    now = utcnow()
    counts = {}
    made = 0
    for followers in (2, 1500):
        fresh = [
            {"username": f"f{n}", "email": f"f{n}@example.org", "display_name": f"F{n}", "created_at": now}
            for n in range(made, followers)
        ]
        for start in range(0, len(fresh), 500):
            await db.execute(users.insert().values(fresh[start : start + 500]))
        await db.execute(
            board_follows.insert().from_select(
                ["user_id", "board_id", "created_at"],
                sa.select(users.c.id, sa.literal(board_id), sa.literal(now, users.c.created_at.type)).where(
                    users.c.username.like("f%"), users.c.id.not_in(sa.select(board_follows.c.user_id))
                ),
            )
        )
        made = followers
        statements["n"] = 0
        await linus.submit_idea(f"An idea for {followers} followers")
        counts[followers] = statements["n"]
        kinds = await db.fetch_all(sa.select(jobs.c.kind))
        assert [row["kind"] for row in kinds] == ["notification-emails"] * (1 if followers < 1000 else 2)
        await db.execute(jobs.delete())

    # The unread counters and the email jobs are written a thousand members at a time.
    assert counts[2] < counts[1500] <= counts[2] + 2


class HoldingMailbox(Mailbox):
    """A real SMTP server that keeps its answer to the email number `hold_at` until `release()`:
    the sender of that email waits mid-message, as it would for a slow server."""

    def __init__(self, hold_at: int, *, taken: bool = False) -> None:
        super().__init__()
        self.hold_at = hold_at
        self.taken = taken  # the held email is kept before the answer is held back (else only if released in time)
        self.holding = threading.Event()
        self._released = threading.Event()
        self._seen = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        self._seen += 1
        if self._seen != self.hold_at:
            return await super().handle_DATA(server, session, envelope)
        if self.taken:
            answer = await super().handle_DATA(server, session, envelope)
        self.holding.set()
        await until(self._released.is_set, within=3600, every=0.01, what="the test to release the held email")
        return answer if self.taken else await super().handle_DATA(server, session, envelope)

    def release(self) -> None:
        self._released.set()

    def message_ids(self) -> list[str]:
        return [str(message["Message-ID"]) for message in list(self.received)]


@pytest.fixture(params=["held before it is taken", "held after it is taken"])
def holding_mailbox(request):
    box = HoldingMailbox(hold_at=6, taken=request.param == "held after it is taken")
    box.start()
    yield box
    box.release()
    box.stop()


def numbered_emails(user_id: int, count: int) -> list[dict]:
    emails = []
    for number in range(count):
        message = EmailMessage()
        message["From"] = "Roundtable <ideas@example.net>"
        message["To"] = f"member{number}@example.org"
        message["Subject"] = f"Email number {number}"
        message["Message-ID"] = make_msgid(domain="example.net")
        message.set_content(f"Body {number}")
        emails.append(
            {
                "user_id": user_id,
                "to_address": f"member{number}@example.org",
                "subject": f"Email number {number}",
                "kind": "comment",
                "message": message.as_string(),
            }
        )
    return emails


@dataclass
class Tally:
    """What became of the emails: the outbox's record against the Message-IDs the mailbox received."""

    statuses: dict[str, str]  # Message-ID -> outbox status
    received: list[str]

    @property
    def doubled(self) -> int:
        return len(self.received) - len(set(self.received))

    def with_status(self, status: str) -> set[str]:
        return {message_id for message_id, had in self.statuses.items() if had == status}

    @property
    def lost(self) -> set[str]:
        return set(self.statuses) - set(self.received)

    def __str__(self) -> str:
        unknown = self.with_status("unknown")
        return (
            f"{len(self.statuses)} emails: {len(self.received)} received, {self.doubled} twice,"
            f" {len(self.lost)} lost, {len(unknown)} recorded unknown"
            f" ({len(unknown & set(self.received))} of them delivered)"
        )


async def tally(db, mailbox: HoldingMailbox) -> Tally:
    rows = await db.fetch_all(sa.select(outbox.c.status, outbox.c.message))
    statuses = {str(email.message_from_string(row["message"])["Message-ID"]): row["status"] for row in rows}
    return Tally(statuses, mailbox.message_ids())


async def unsettled(db) -> int:
    return await db.fetch_val(
        sa.select(sa.func.count()).select_from(outbox).where(outbox.c.status.in_(("queued", "sending")))
    )


def assert_each_email_sent_once_but_the_one_cut_off(result: Tally, count: int, mailbox: HoldingMailbox) -> None:
    """None twice; all sent but the one whose sender was stopped mid-message, recorded unknown."""
    assert result.doubled == 0
    [cut_off] = result.with_status("unknown")
    assert set(result.received) <= set(result.statuses)
    assert result.with_status("sent") <= set(result.received) and len(result.with_status("sent")) == count - 1
    assert result.lost <= {cut_off}
    assert (cut_off in result.received) is mailbox.taken  # kept by the server, or lost: never sent again


async def test_a_sender_stopped_mid_batch_leaves_the_rest_to_another_and_sends_no_email_twice(
    database_url, tmp_path, person, holding_mailbox
):
    ada = await person("ada")
    smtp = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(holding_mailbox.port), "SMTP_TLS": "none"}
    async with runners(database_url, tmp_path, **smtp) as (first, second):
        await queue_emails(first.db, numbered_emails(ada.id, 40), now=utcnow())  # one job, one connection
        dying = asyncio.create_task(first.run())
        await until(holding_mailbox.holding.is_set, within=20, what="the sender to be mid-message")
        dying.cancel()
        holding_mailbox.release()  # the server takes the email its sender no longer waits for
        await stop(dying)
        stopped = time.monotonic()

        async def settled() -> bool:
            if not await unsettled(second.db):
                return True
            await second.run()
            return False

        await until(settled, within=LEASE + 20, every=0.05, what="the stopped sender's emails to be taken over")
        finished = time.monotonic() - stopped
        result = await tally(second.db, holding_mailbox)

    print(f"\nsender stopped mid-batch: {result}; the batch finished {finished:.2f} s after the stop")
    assert_each_email_sent_once_but_the_one_cut_off(result, 40, holding_mailbox)
    assert LEASE - 1 <= finished < LEASE + 20


KILL_LEASE, KILL_HEARTBEAT = 5, 1  # seconds: a real server on a busy machine


@contextlib.contextmanager
def portal_process(database_url: str, data_dir: Path, mailbox: Mailbox) -> Iterator[tuple[subprocess.Popen, str]]:
    """`roundtable serve` sending through `mailbox`, stopped with its process group at the end (tests/processes.py)."""
    port = free_port()
    data_dir.mkdir()
    environ = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "shared-by-every-server",
        "ARGON2_PROFILE": "CHEAPEST",
        "LOG_LEVEL": "warning",
        "RATE_LIMITS": "false",
        "JOBS_INTERVAL": "1",
        "JOBS_LEASE": str(KILL_LEASE),
        "JOBS_HEARTBEAT": str(KILL_HEARTBEAT),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mailbox.port),
        "SMTP_TLS": "none",
    }
    command = [sys.executable, "-m", "portal", "serve", "--port", str(port), "--workers", "1"]
    with processes.started(command, env=environ, log=data_dir / "server.log") as server:
        yield server, f"http://127.0.0.1:{port}"


async def answering(server: subprocess.Popen, url: str) -> bool:
    assert server.poll() is None, "the server stopped while starting"
    try:
        async with httpx.AsyncClient() as client:
            await client.get(url + "/signin", timeout=1)
    except httpx.TransportError:
        return False
    return True


async def test_a_server_killed_mid_batch_leaves_its_job_to_another_within_the_lease_and_no_email_goes_twice(
    database_url, tmp_path, app, person, holding_mailbox
):
    db = app.state.db  # this test's portal runs no jobs (JOBS_INTERVAL=0): the servers do
    ada = await person("ada")
    await queue_emails(db, numbered_emails(ada.id, 150), now=utcnow())  # three jobs of 50

    async def send_jobs() -> list:
        return await db.fetch_all(sa.select(jobs).where(jobs.c.kind == "send-emails").order_by(jobs.c.id))

    with portal_process(database_url, tmp_path / "a", holding_mailbox) as (first, first_url):
        await until(lambda: answering(first, first_url), within=90, what="the first server to start")
        await until(holding_mailbox.holding.is_set, within=60, what="the first server to be mid-message")
        held = [row for row in await send_jobs() if f":{first.pid}:" in (row["lease_token"] or "")]
        assert len(held) == 1  # it claimed only the job it runs: the other two are free for others

        with portal_process(database_url, tmp_path / "b", holding_mailbox) as (second, second_url):
            await until(lambda: answering(second, second_url), within=90, what="the second server to start")
            others_done = await until(
                lambda: _finished(send_jobs, 2), within=60, what="the second server to send the two free jobs"
            )
            assert others_done and first.poll() is None
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=15)
            killed = time.monotonic()
            holding_mailbox.release()
            await until(
                lambda: _taken_over(send_jobs, held[0]["id"], first.pid),
                within=KILL_LEASE + 30,
                what="the second server to take over the killed one's job",
            )
            taken_over = time.monotonic() - killed
            await until(lambda: _none_unsettled(db), within=60, what="the second server to finish the batch")
            finished = time.monotonic() - killed
            result = await tally(db, holding_mailbox)
            [job_row] = [row for row in await send_jobs() if row["id"] == held[0]["id"]]

    print(
        f"\nserver killed mid-batch: its job waited {taken_over:.2f} s for another server"
        f" (JOBS_LEASE={KILL_LEASE}, JOBS_HEARTBEAT={KILL_HEARTBEAT}, JOBS_INTERVAL=1),"
        f" the batch was finished {finished:.2f} s after the kill; {result}"
    )
    assert_each_email_sent_once_but_the_one_cut_off(result, 150, holding_mailbox)
    assert taken_over < KILL_LEASE + 5
    assert job_row["attempts"] == 2 and job_row["finished_at"] is not None and not job_row["failed"]


async def _finished(send_jobs, count: int) -> bool:
    return sum(row["finished_at"] is not None for row in await send_jobs()) == count


async def _taken_over(send_jobs, job_id: int, dead_pid: int) -> bool:
    [row] = [row for row in await send_jobs() if row["id"] == job_id]
    return row["finished_at"] is not None or f":{dead_pid}:" not in (row["lease_token"] or "")


async def _none_unsettled(db) -> bool:
    return await unsettled(db) == 0
