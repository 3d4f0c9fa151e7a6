"""Real git repositories made in temp folders, the way contributors would make them."""

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path


class WorkRepo:
    """A contributor's working repository: commit, tag, branch."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "--quiet", "--initial-branch=main")

    def git(self, *args: str, **kwargs) -> str:
        environ = {
            "PATH": os.environ["PATH"],
            "HOME": str(self.path),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": kwargs.pop("name", "Ada Lovelace"),
            "GIT_AUTHOR_EMAIL": kwargs.pop("email", "ada@example.org"),
            "GIT_COMMITTER_NAME": "Ada Lovelace",
            "GIT_COMMITTER_EMAIL": "ada@example.org",
        }
        if "date" in kwargs:
            stamp = kwargs.pop("date").strftime("%Y-%m-%dT%H:%M:%S+00:00")
            environ["GIT_AUTHOR_DATE"] = environ["GIT_COMMITTER_DATE"] = stamp
        return subprocess.run(
            ["git", "-c", "protocol.file.allow=always", *args],
            cwd=self.path,
            env=environ,
            check=True,
            capture_output=True,
            text=True,
            **kwargs,
        ).stdout

    def commit(self, message: str, files: dict[str, str | bytes] | None = None, **who) -> str:
        for name, content in (files or {"log.txt": message + "\n"}).items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                with target.open("a") as handle:
                    handle.write(content)
        self.git("add", "--all")
        self.git("commit", "--quiet", "--allow-empty", "-m", message, **who)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def tag(self, name: str, *, date: datetime | None = None) -> None:
        self.git("tag", "-a", name, "-m", f"Release {name}", date=date or datetime.now(UTC))

    def branch(self, name: str) -> None:
        self.git("checkout", "--quiet", "-b", name)

    def checkout(self, name: str) -> None:
        self.git("checkout", "--quiet", name)
