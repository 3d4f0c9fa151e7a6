"""Debian's Chromium driven through Playwright (never `playwright install`).

Without Chromium a browser test is skipped with the command that installs it, except when
ROUNDTABLE_REQUIRE_BROWSER=1 (as in .ci/run), where a missing browser fails.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
INSTALL_HINT = "install Chromium for browser tests: sudo apt-get install -y chromium"


def require_browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}; {INSTALL_HINT}"
        if os.environ.get("ROUNDTABLE_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]' installs playwright")
