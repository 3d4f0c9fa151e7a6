from pathlib import Path

import pytest

from tests.apps import make_settings
from tests.contributors.gitrepos import WorkRepo


@pytest.fixture
def settings(database_url: str, tmp_path: Path):
    """Administrators may link local paths here, as a self-hosted portal's would."""
    return make_settings(
        database_url, tmp_path / "data", GIT_ALLOW_LOCAL_PATHS="true", PUBLIC_URL="https://ideas.example.org"
    )


@pytest.fixture
def work_repo(tmp_path: Path):
    def make(name: str) -> WorkRepo:
        return WorkRepo(tmp_path / "work" / name)

    return make
