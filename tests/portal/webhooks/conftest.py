import pytest

from tests.apps import make_settings


@pytest.fixture
def settings(database_url, tmp_path):
    """The portal of these tests may reach a receiver on loopback, as a self-hosted one may."""
    return make_settings(
        database_url, tmp_path, ALLOW_PRIVATE_URLS="true", PUBLIC_URL="https://ideas.example.org", WEBHOOK_TIMEOUT="2"
    )
