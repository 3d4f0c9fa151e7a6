"""Ada the admin registers a webhook and exports the portal in a real browser, on a phone-sized screen."""

import pytest

from tests.servers import running_portal


@pytest.fixture
def ada_the_admin(database_url, tmp_path):
    from click.testing import CliRunner

    from portal.cli import main

    env = {"DATA_DIR": str(tmp_path), "DATABASE_URL": database_url, "ARGON2_PROFILE": "CHEAPEST"}
    arguments = ["users", "create", "ada", "--email", "ada@example.org", "--admin", "--password", "admin it all"]
    created = CliRunner().invoke(main, arguments, env=env)
    assert created.exit_code == 0, created.output


@pytest.fixture
def served_portal(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ALLOW_PRIVATE_URLS", "true")  # the receiver address below is on loopback
    with running_portal(database_url, tmp_path) as base:
        yield base


def test_an_admin_registers_a_webhook_and_its_pages_pass_the_axe_check(ada_the_admin, page, served_portal):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def violations() -> list:
        return [v["id"] for v in axe.run(page).response["violations"]]

    page.goto(served_portal + "/signin")
    page.get_by_label("Username or email").fill("ada")
    page.get_by_label("Password").fill("admin it all")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Admin").click()
    page.get_by_label("Address").fill("http://127.0.0.1:9/hooks")
    page.get_by_role("button", name="Add webhook").click()
    assert page.get_by_text("Choose at least one event to send.").is_visible()
    assert page.get_by_label("Address").input_value() == "http://127.0.0.1:9/hooks"
    assert violations() == []

    page.get_by_label("An idea is shared").check()
    page.get_by_role("button", name="Add webhook").click()
    assert page.get_by_label("Secret").input_value().startswith("whsec_")
    page.get_by_role("button", name="Send a test delivery").click()
    assert page.get_by_role("cell", name="ping", exact=True).is_visible()
    assert violations() == []

    page.get_by_role("link", name="All webhooks").click()
    page.get_by_role("link", name="Export").click()
    assert page.get_by_role("link", name="Download the archive").is_visible()
    assert violations() == []
