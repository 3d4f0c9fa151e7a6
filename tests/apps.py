"""Building the app under test: its settings from a test's database and folder, and clients for it.

conftest.py's fixtures use these; a test that needs an app with other settings calls them itself.
"""

from pathlib import Path

import httpx

from portal.settings import Settings


def make_settings(database_url: str, data_dir: Path, **overrides: str) -> Settings:
    environ = {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "not-a-secret-only-for-tests",
        "ARGON2_PROFILE": "CHEAPEST",
        "JOBS_INTERVAL": "0",
        # A test signs in and posts as fast as code can: rate limits are tested where they are
        # switched on (tests/portal/test_rate_limits.py).
        "RATE_LIMITS": "false",
        **overrides,
    }
    return Settings.from_environ(environ)


def https_client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://testserver")
