"""Real git repositories made in temp folders, the way contributors would make them."""

import os
from datetime import UTC, datetime
from pathlib import Path

from tests import processes


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
        return processes.run(
            ["git", "-c", "protocol.file.allow=always", *args],
            timeout=120,
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


def fast_import_history(
    bare: Path, commits: int, *, start: int = 0, parent: str | None = None, idea_every: int = 100, tag_every: int = 0
) -> str:
    """Append `commits` commits to branch main of the bare repository `bare` with `git fast-import`.

    Every `idea_every`-th commit references an idea (1 to 50); every `tag_every`-th gets a tag. Quick: 50,000
    commits take a few seconds. Returns the new head.
    """
    lines: list[str] = []
    base = 1_600_000_000
    for n in range(start, start + commits):
        message = f"Change {n}"
        if idea_every and n % idea_every == 0:
            message += f"\n\nImplements: idea-{n // idea_every % 50 + 1}"
        data = message.encode()
        content = f"line {n}\n".encode()
        lines.append("commit refs/heads/main")
        lines.append(f"mark :{n + 1}")
        who = f"dev{n % 20} <dev{n % 20}@example.org>"
        lines.append(f"author {who} {base + n * 60} +0000")
        lines.append(f"committer {who} {base + n * 60} +0000")
        lines.append(f"data {len(data)}")
        lines.append(message)
        if n == start and parent:
            lines.append(f"from {parent}")
        lines.append(f"M 100644 inline file{n % 100}.txt")
        lines.append(f"data {len(content)}")
        lines.append(content.decode().rstrip("\n"))
        lines.append("")
        if tag_every and n and n % tag_every == 0:
            lines += [f"reset refs/tags/v{n // tag_every}.0", f"from :{n + 1}", ""]
    if not bare.exists():
        processes.run(["git", "init", "--quiet", "--bare", str(bare)], check=True, timeout=120)
    processes.run(
        ["git", "--git-dir", str(bare), "fast-import", "--quiet"],
        input=("\n".join(lines) + "\n").encode(),
        check=True,
        timeout=600,
    )
    return processes.run(
        ["git", "--git-dir", str(bare), "rev-parse", "refs/heads/main"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.strip()
