"""Admins register webhooks; events reach a real receiver on loopback, signed, retried, logged."""

import asyncio
import re
from datetime import timedelta

import httpcore
import pytest

from ideas import queries as idea_queries
from portal.app import DOMAINS
from portal.db import utcnow
from portal.domains import Assembly
from portal.jobs.queries import list_jobs
from portal.jobs.runner import run_due_jobs
from portal.webhooks import queries
from portal.webhooks.delivery import PinnedBackend
from portal.webhooks.forms import event_field
from portal.webhooks.tables import EVENTS
from roadmap import queries as roadmap_queries
from tests.apps import make_settings
from tests.pages import shown, texts, values
from tests.portal.webhooks.receiver import Receiver
from tests.processes import load_factor
from tests.waiting import until

_SECRET = re.compile(r'id="secret" type="text" readonly value="([^"]+)"')

ASSEMBLY = Assembly.of(DOMAINS)  # the jobs of the whole app


async def register(admin, url: str, *events: str, **fields: str):
    form = {"url": url, "description": "Chat bot", **{event_field(event): "on" for event in events}}
    form.update(fields)
    await admin.get("/admin/webhooks")
    return await admin.post("/admin/webhooks", form)


async def secret_shown_to(admin, webhook_id: int) -> str:
    page = await admin.get(f"/admin/webhooks/{webhook_id}")
    return _SECRET.search(page.text).group(1)


async def test_a_new_idea_reaches_the_receiver_signed_and_the_log_shows_it(app, db, settings, person):
    ada = await person("ada", role="admin")
    bob = await person("bob")
    async with Receiver() as receiver:
        response = await register(ada, receiver.url, "idea.created")
        assert response.status_code == 303
        webhook_id = int(response.headers["location"].rsplit("/", 1)[1])
        secret = await secret_shown_to(ada, webhook_id)

        idea_id = await bob.submit_idea("Dark mode", "Please, for the night owls.")
        report = await run_due_jobs(db, settings, ASSEMBLY)

    assert report.done == 1
    [delivery] = receiver.received
    assert delivery.signed_with(secret)
    assert not delivery.signed_with(secret + "x")
    body = delivery.json
    assert body["event"] == "idea.created" and delivery.headers["x-roundtable-event"] == "idea.created"
    assert body["data"]["title"] == "Dark mode" and body["data"]["author"] == "bob"
    assert body["data"]["url"] == f"https://ideas.example.org/ideas/{idea_id}"
    assert delivery.headers["x-roundtable-delivery"] == body["id"]
    log = await ada.get(f"/admin/webhooks/{webhook_id}")
    assert "idea.created" in shown(log) and "200" in texts(log, "td")
    assert secret not in str([job["payload"] for job in await list_jobs(db)])


async def test_every_event_is_sent_once_per_webhook_that_wants_it(app, db, settings, person):
    ada = await person("ada", role="admin")
    mia = await person("mia", role="maintainer")
    async with Receiver() as everything, Receiver() as comments_only:
        await register(ada, everything.url, *EVENTS)
        await register(ada, comments_only.url, "comment.created")
        idea_id = await mia.submit_idea("Offline mode")
        await mia.comment(idea_id, "We are looking at it.")
        await idea_queries.change_status(
            db, idea_id=idea_id, actor_id=mia.id, status="planned", note="Next quarter", note_html=""
        )
        await roadmap_queries.put_draft_item(
            db, idea_id=idea_id, column="planned", position=0, milestone_id=None, note=""
        )
        await roadmap_queries.publish(db, actor_id=mia.id, summary="Spring roadmap", summary_html="")
        release_id = await roadmap_queries.create_release(
            db, version="2.0", released_on=utcnow().date(), notes="Big one", notes_html="", idea_ids=[idea_id]
        )
        await roadmap_queries.ship_release(db, release_id=release_id, actor_id=mia.id)
        await run_due_jobs(db, settings, ASSEMBLY)

    events = [received.json["event"] for received in everything.received]
    assert sorted(events) == sorted(
        [
            "idea.created",
            "comment.created",
            "idea.status_changed",
            "roadmap.published",
            "idea.status_changed",
            "idea.shipped",
            "release.published",
        ]
    )
    by_event = {received.json["event"]: received.json for received in everything.received}
    assert by_event["release.published"]["data"]["idea_ids"] == [idea_id]
    assert by_event["idea.shipped"]["data"]["status"] == "shipped"
    assert by_event["comment.created"]["data"]["idea"]["url"] == f"https://ideas.example.org/ideas/{idea_id}"
    assert [received.json["event"] for received in comments_only.received] == ["comment.created"]
    assert len({received.json["id"] for received in everything.received}) == 7


async def test_a_failing_receiver_is_tried_again_with_backoff_until_it_answers(app, db, settings, person):
    ada = await person("ada", role="admin")
    async with Receiver(answers=[500, 503]) as receiver:
        response = await register(ada, receiver.url, "idea.created")
        webhook_id = int(response.headers["location"].rsplit("/", 1)[1])
        await ada.submit_idea("Export to PDF")
        start = utcnow()
        first = await run_due_jobs(db, settings, ASSEMBLY, now=start)
        too_early = await run_due_jobs(db, settings, ASSEMBLY, now=start + timedelta(seconds=29))
        second = await run_due_jobs(db, settings, ASSEMBLY, now=start + timedelta(seconds=31))
        third = await run_due_jobs(db, settings, ASSEMBLY, now=start + timedelta(seconds=31 + 121))

    assert (first.retried, too_early.total, second.retried, third.done) == (1, 0, 1, 1)
    assert len(receiver.received) == 3 and len({r.json["id"] for r in receiver.received}) == 1
    [entry] = await queries.delivery_log(db, webhook_id)
    attempts = [(a["attempt"], a["status_code"], a["error"]) for a in entry["attempts"]]
    assert attempts == [
        (1, 500, "the receiver answered 500"),
        (2, 503, "the receiver answered 503"),
        (3, 200, None),
    ]
    assert entry["delivery"]["succeeded"] is True


async def test_a_receiver_that_does_not_answer_in_time_is_tried_again(app, db, database_url, tmp_path, person):
    impatient = make_settings(database_url, tmp_path, ALLOW_PRIVATE_URLS="true", WEBHOOK_TIMEOUT="1")
    ada = await person("ada", role="admin")
    async with Receiver(answers=[None]) as receiver:
        webhook_id = await queries.create_webhook(
            db, url=receiver.url, description="", events=["idea.created"], created_by_id=ada.id
        )
        await ada.submit_idea("Slow receivers")
        start = utcnow()
        first = await run_due_jobs(db, impatient, ASSEMBLY, now=start)
        second = await run_due_jobs(db, impatient, ASSEMBLY, now=start + timedelta(seconds=31))
    assert (first.retried, second.done) == (1, 1)
    [entry] = await queries.delivery_log(db, webhook_id)
    slow, quick = entry["attempts"]
    assert slow["error"] == "no answer within 1 seconds" and slow["status_code"] is None
    # Cut off after the 1 s timeout, not left waiting: the margin grows with the machine's load.
    assert 900 <= slow["duration_ms"] < 1000 + 1500 * load_factor()
    assert quick["status_code"] == 200


async def test_a_receiver_that_is_down_is_logged_as_a_connection_error_and_can_be_sent_again(app, db, settings, person):
    ada = await person("ada", role="admin")
    async with Receiver() as receiver:
        pass  # closed: its port refuses connections now
    response = await register(ada, receiver.url, "idea.created")
    webhook_id = int(response.headers["location"].rsplit("/", 1)[1])
    await ada.submit_idea("Keyboard shortcuts")
    assert (await run_due_jobs(db, settings, ASSEMBLY)).retried == 1
    [entry] = await queries.delivery_log(db, webhook_id)
    assert entry["attempts"][0]["status_code"] is None
    assert entry["attempts"][0]["error"].startswith("could not connect")

    async with Receiver() as receiver_again:
        await queries.update_webhook(
            db, webhook_id, url=receiver_again.url, description="", events=["idea.created"], is_active=True
        )
        page = await ada.get(f"/admin/webhooks/{webhook_id}")
        assert "Send again" in shown(page)
        again = await ada.post(f"/admin/webhooks/{webhook_id}/deliveries/{entry['delivery']['id']}/again")
        assert again.status_code == 303
        await run_due_jobs(db, settings, ASSEMBLY)
    assert [r.json["data"]["title"] for r in receiver_again.received] == ["Keyboard shortcuts"]
    [entry] = await queries.delivery_log(db, webhook_id)
    assert [a["status_code"] for a in entry["attempts"]] == [None, 200]


async def test_a_test_delivery_a_rotated_secret_a_paused_and_a_deleted_webhook(app, db, settings, person):
    ada = await person("ada", role="admin")
    async with Receiver() as receiver:
        response = await register(ada, receiver.url, "idea.created")
        webhook_id = int(response.headers["location"].rsplit("/", 1)[1])
        old_secret = await secret_shown_to(ada, webhook_id)
        assert (await ada.post(f"/admin/webhooks/{webhook_id}/secret")).status_code == 303
        new_secret = await secret_shown_to(ada, webhook_id)
        assert new_secret != old_secret and new_secret.startswith("whsec_")

        assert (await ada.post(f"/admin/webhooks/{webhook_id}/ping")).status_code == 303
        await run_due_jobs(db, settings, ASSEMBLY)
        [ping] = receiver.received
        assert ping.json["event"] == "ping" and ping.signed_with(new_secret) and not ping.signed_with(old_secret)

        paused = await ada.post(
            f"/admin/webhooks/{webhook_id}", {"url": receiver.url, "description": "", "event-idea-created": "on"}
        )
        assert paused.status_code == 303
        await ada.submit_idea("Nobody hears of this one")
        await ada.post(f"/admin/webhooks/{webhook_id}/ping")
        await run_due_jobs(db, settings, ASSEMBLY)
        assert len(receiver.received) == 1
        log = await queries.delivery_log(db, webhook_id)
        assert [entry["delivery"]["event"] for entry in log] == ["ping", "ping"]
        assert log[0]["attempts"][0]["error"] == "not sent: the webhook is paused"

        assert (await ada.post(f"/admin/webhooks/{webhook_id}/delete")).status_code == 303
        assert (await ada.get(f"/admin/webhooks/{webhook_id}")).status_code == 404
        assert await queries.list_webhooks(db) == []


async def test_internal_addresses_are_refused_at_registration_and_at_delivery(app, db, database_url, tmp_path, person):
    strict = make_settings(database_url, tmp_path)  # ALLOW_PRIVATE_URLS off, as in production
    ada = await person("ada", role="admin")
    app.state.settings = strict
    for url, message in [
        ("https://127.0.0.1:8443/hook", "internal address"),
        ("https://localhost/hook", "internal address"),
        ("https://[::1]/hook", "internal address"),
        ("https://10.1.2.3/hook", "internal address"),
        ("https://[2002:7f00:1::1]/hook", "internal address"),  # 6to4 carrying 127.0.0.1
        ("https://[64:ff9b::7f00:1]/hook", "internal address"),  # NAT64 carrying 127.0.0.1
        ("http://example.org/hook", "Only https://"),
    ]:
        response = await register(ada, url, "idea.created")
        assert response.status_code == 400, url
        assert message in shown(response), url
        assert url in values(response).values()
    assert await queries.list_webhooks(db) == []

    async with Receiver() as receiver:
        # Registered while private addresses were allowed; the check at delivery time refuses it now.
        webhook_id = await queries.create_webhook(
            db, url=receiver.url, description="", events=["idea.created"], created_by_id=ada.id
        )
        await ada.submit_idea("Sneaky")
        report = await run_due_jobs(db, strict, ASSEMBLY)
    assert report.failed == 1 and receiver.received == []
    [entry] = await queries.delivery_log(db, webhook_id)
    assert entry["attempts"][0]["error"].startswith("refused: Only https://")


async def test_the_connection_goes_to_the_checked_address_whatever_the_host_name_resolves_to_later():
    async with Receiver() as receiver:
        pool = httpcore.AsyncConnectionPool(network_backend=PinnedBackend(("127.0.0.1",)))
        async with pool:
            response = await pool.request(
                "POST",
                f"http://rebound.invalid:{receiver.port}/hook",
                headers={"Host": f"rebound.invalid:{receiver.port}", "Content-Length": "2"},
                content=b"{}",
            )
    assert response.status == 200
    assert receiver.received[0].headers["host"] == f"rebound.invalid:{receiver.port}"


@pytest.mark.parametrize("role", ["member", "maintainer", None])
async def test_only_admins_see_or_change_webhooks(app, db, person, visitor, role):
    ada = await person("ada", role="admin")
    webhook_id = await queries.create_webhook(
        db, url="https://example.org/hook", description="", events=["idea.created"], created_by_id=ada.id
    )
    someone = visitor if role is None else await person("sam", role=role)
    if role is None:
        await someone.get("/signin")
    for path in ("/admin/webhooks", f"/admin/webhooks/{webhook_id}"):
        assert (await someone.get(path)).status_code == 403
    for path, form in [
        ("/admin/webhooks", {"url": "https://example.org/x", "event-idea-created": "on"}),
        (f"/admin/webhooks/{webhook_id}", {"url": "https://example.org/x", "event-idea-created": "on"}),
        (f"/admin/webhooks/{webhook_id}/secret", {}),
        (f"/admin/webhooks/{webhook_id}/ping", {}),
        (f"/admin/webhooks/{webhook_id}/delete", {}),
    ]:
        assert (await someone.post(path, form)).status_code == 403, path
    [webhook] = await queries.list_webhooks(db)
    assert webhook["url"] == "https://example.org/hook"
    assert "whsec_" not in (await someone.get("/admin/webhooks")).text


async def test_bad_webhook_forms_say_what_is_wrong_and_keep_what_was_typed(app, db, person):
    ada = await person("ada", role="admin")
    cases = [
        ({"url": "", "event-idea-created": "on"}, "Address is required."),
        ({"url": "https://example.org/hook"}, "Choose at least one event to send."),
        ({"url": "https://user:pw@example.org/hook", "event-idea-created": "on"}, "user name or password"),
        ({"url": "not a url", "event-idea-created": "on"}, "spaces"),
        ({"url": "https://example.org/" + "a" * 2100, "event-idea-created": "on"}, "at most 2000"),
        ({"url": "https://example.org/hook", "event-idea-created": "on", "description": "d" * 201}, "at most 200"),
    ]
    for form, message in cases:
        await ada.get("/admin/webhooks")
        response = await ada.post("/admin/webhooks", form)
        assert response.status_code == 400, form
        assert message in shown(response), (form, message)
    assert await queries.list_webhooks(db) == []
    assert (await ada.get("/admin/webhooks/999")).status_code == 404
    assert (await ada.post("/admin/webhooks/999/deliveries/1/again")).status_code == 404


async def test_the_server_sends_at_once_after_the_response_without_waiting_for_its_next_poll(database_url, tmp_path):
    from portal.app import create_app
    from tests.people import Person

    settings = make_settings(database_url, tmp_path, ALLOW_PRIVATE_URLS="true", JOBS_INTERVAL="3600")
    app = create_app(settings)
    async with app.router.lifespan_context(app), Receiver() as receiver:
        await asyncio.sleep(0.1)  # the loop's first look at the jobs table, at start-up
        linus = await Person.create(app, "linus")
        await linus.sign_in()
        await queries.create_webhook(
            app.state.db, url=receiver.url, description="", events=["idea.created"], created_by_id=linus.id
        )
        await linus.submit_idea("Heard at once")
        await until(lambda: receiver.received, within=2, what="the receiver to hear of the idea")
        await linus.close()
    assert [r.json["data"]["title"] for r in receiver.received] == ["Heard at once"]
