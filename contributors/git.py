"""Every call to git, and the only module that makes them.

Git runs with an environment and options that keep a hostile URL or repository from reaching anything
but the one remote we checked: a fixed protocol allow-list, no prompts, no system or global config, an
empty HOME, no credential helpers, no redirects, every object checked (`transfer.fsckObjects`), the
connection pinned to the addresses netguard checked, bare mirrors only (nothing is ever checked out, so
submodules are never fetched), a timeout and a size cap. What we pass on a command line is either our own
constant, a commit id we read back from git (checked to be hex), or the URL after `--`.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import git as gitpython

SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
README_NAMES = ("readme.md", "readme.markdown", "readme", "readme.txt", "readme.rst")
README_MAX_BYTES = 512 * 1024
METADATA_FILE = "roundtable-extension.toml"
METADATA_MAX_BYTES = 64 * 1024
SYMLINK_MODE = 0o120000
_EMPTY_HOME = Path(tempfile.gettempdir()) / "roundtable-git-home"


class GitError(Exception):
    """A git operation that failed; the message is plain words for the repository page."""


@dataclass(frozen=True)
class Remote:
    """A URL that passed the checks, and how git may reach it."""

    url: str
    protocols: tuple[str, ...]
    # "host:port:address" entries for curl, so the connection goes only where we checked.
    pins: tuple[str, ...] = ()


@dataclass(frozen=True)
class Limits:
    timeout: float
    max_bytes: int


@dataclass(frozen=True)
class Refs:
    heads: dict[str, str]
    # tag name -> (commit id, creator date as a unix time)
    tags: dict[str, tuple[str, int]]


@dataclass(frozen=True)
class Commit:
    sha: str
    author_name: str
    author_email: str
    authored_at: datetime
    message: str
    branch: str

    @property
    def subject(self) -> str:
        return (self.message.strip().splitlines() or [""])[0][:300]


def _environment(protocols: tuple[str, ...]) -> dict[str, str]:
    _EMPTY_HOME.mkdir(mode=0o700, exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(_EMPTY_HOME),
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "/bin/false",
        "SSH_ASKPASS": "/bin/false",
        "GIT_SSH_COMMAND": "/bin/false",
        "GIT_PROTOCOL_FROM_USER": "0",
        "GIT_ALLOW_PROTOCOL": ":".join(protocols),
    }


def _options(remote: Remote) -> list[str]:
    options = [
        "-c", "http.followRedirects=false",
        "-c", "transfer.fsckObjects=true",
        # Keep everything a fetch brings in one new pack, so that a refused fetch can be taken back whole.
        "-c", "fetch.unpackLimit=1",
        "-c", "transfer.unpackLimit=1",
        "-c", "fetch.recurseSubmodules=false",
        "-c", "submodule.recurse=false",
        "-c", "credential.helper=",
        "-c", "core.hooksPath=" + os.devnull,
        "-c", "protocol.file.allow=" + ("always" if "file" in remote.protocols else "never"),
    ]  # fmt: skip
    for pin in remote.pins:
        options += ["-c", "http.curloptResolve=" + pin]
    return options


def _run_local(mirror: Path, *args: str, stdin: str | None = None, timeout: float = 600) -> str:
    """Run git on our own mirror (no network): our constant arguments and commit ids only."""
    result = subprocess.run(
        ["git", "--git-dir", str(mirror), *args],
        input=stdin.encode() if stdin is not None else None,
        capture_output=True,
        env=_environment(()),
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise GitError(_plain_error(result.stderr.decode("utf-8", "replace")))
    return result.stdout.decode("utf-8", "replace")


def _plain_error(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and not line.startswith("hint:")]
    text = " ".join(lines)[-500:] or "git stopped without saying why."
    if "redirect" in text.lower() or re.search(r"returned error: 30[0-9]", text):
        return "The server answered with a redirect; give the repository's final address. " + text
    if "could not read Username" in text or "terminal prompts disabled" in text:
        return "The repository asks for a password; only public repositories can be linked."
    if "not found" in text.lower() or "does not appear to be a git repository" in text:
        return "No git repository was found at that address. " + text
    return text


def _size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def fetch(mirror: Path, remote: Remote, limits: Limits) -> None:
    """Create or update the bare mirror of `remote` (branches and tags only), within the limits.

    A first fetch that fails leaves no directory behind; a later one leaves the mirror as it was.
    """
    first = not mirror.exists()
    target = mirror
    before = None if first else _snapshot(mirror)
    if first:
        mirror.parent.mkdir(parents=True, exist_ok=True)
        target = Path(tempfile.mkdtemp(prefix=mirror.name + ".", suffix=".partial", dir=mirror.parent))
        _run_local(target, "init", "--bare", "--quiet", "--template=")
    command = [
        "git", "--git-dir", str(target), *_options(remote),
        "fetch", "--quiet", "--prune", "--no-tags", "--no-recurse-submodules", "--no-write-fetch-head",
        "--", remote.url, "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*",
    ]  # fmt: skip
    try:
        _watch(command, target, remote, limits)
    except BaseException:
        if first:
            shutil.rmtree(target, ignore_errors=True)
        else:
            _restore(target, before)
        raise
    if first:
        os.replace(target, mirror)


def _watch(command: list[str], target: Path, remote: Remote, limits: Limits) -> None:
    started = time.monotonic()
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            command, env=_environment(remote.protocols), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=stderr, start_new_session=True,
        )  # fmt: skip
        try:
            while process.poll() is None:
                time.sleep(0.1)
                if time.monotonic() - started > limits.timeout:
                    raise GitError(f"The fetch took longer than {limits.timeout:g} seconds and was stopped.")
                if _size(target) > limits.max_bytes:
                    raise GitError(
                        f"The repository is larger than the {limits.max_bytes // 2**20} MB this portal keeps; "
                        "the fetch was stopped."
                    )
        finally:
            if process.poll() is None:
                os.killpg(process.pid, 9)
                process.wait()
        if process.returncode != 0:
            stderr.seek(0)
            message = _plain_error(stderr.read(20000).decode("utf-8", "replace"))
            raise GitError(message.replace(str(target.parent), "[data]"))  # the page is public; paths are not
    if _size(target) > limits.max_bytes:
        raise GitError(f"The repository is larger than the {limits.max_bytes // 2**20} MB this portal keeps.")


@dataclass(frozen=True)
class _Snapshot:
    packs: frozenset[str]
    refs: dict[str, str]


def _snapshot(mirror: Path) -> _Snapshot:
    packs = (
        frozenset(os.listdir(mirror / "objects" / "pack")) if (mirror / "objects" / "pack").exists() else frozenset()
    )
    output = _run_local(mirror, "for-each-ref", "--format=%(objectname) %(refname)")
    return _Snapshot(packs=packs, refs=dict(reversed(line.split(" ", 1)) for line in output.splitlines()))


def _restore(mirror: Path, before: _Snapshot) -> None:
    """Take back a refused fetch: its refs (git ref names hold no spaces or newlines) and its pack."""
    now = _snapshot(mirror)
    commands = [f"delete {name}" for name in now.refs if name not in before.refs]
    commands += [f"update {name} {sha}" for name, sha in before.refs.items() if now.refs.get(name) != sha]
    if commands:
        _run_local(mirror, "update-ref", "--stdin", stdin="\n".join(commands) + "\n")
    for name in now.packs - before.packs:
        (mirror / "objects" / "pack" / name).unlink(missing_ok=True)
    for leftover in (mirror / "objects").glob("incoming-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def remove_mirror(mirror: Path) -> None:
    shutil.rmtree(mirror, ignore_errors=True)


def read_refs(mirror: Path) -> Refs:
    output = _run_local(
        mirror,
        "for-each-ref",
        "--format=%(refname)%09%(objecttype)%09%(objectname)%09%(*objecttype)%09%(*objectname)%09%(creatordate:unix)",
        "refs/heads",
        "refs/tags",
    )
    heads: dict[str, str] = {}
    tags: dict[str, tuple[str, int]] = {}
    for line in output.splitlines():
        name, kind, sha, peeled_kind, peeled, date = (line.split("\t") + [""] * 6)[:6]
        if name.startswith("refs/heads/") and kind == "commit" and SHA.match(sha):
            heads[name.removeprefix("refs/heads/")] = sha
        elif name.startswith("refs/tags/"):
            commit = sha if kind == "commit" else peeled if peeled_kind == "commit" else ""
            if SHA.match(commit):
                tags[name.removeprefix("refs/tags/")] = (commit, int(date or 0))
    return Refs(heads=heads, tags=tags)


def default_branch(heads: dict[str, str]) -> str | None:
    for name in ("main", "master", "trunk", "develop"):
        if name in heads:
            return name
    return min(heads) if heads else None


_FIELD, _RECORD = "\x1f", "\x1e"
_LOG_FORMAT = "--format=%x1e%H%x1f%an%x1f%ae%x1f%at%x1f%B"


def _moment(unix_time: str) -> datetime:
    """A commit's date; a forged one beyond what a datetime holds becomes the epoch."""
    try:
        return datetime.fromtimestamp(int(unix_time), UTC)
    except (ValueError, OverflowError, OSError):
        return datetime.fromtimestamp(0, UTC)


def new_commits(mirror: Path, heads: dict[str, str], old_heads: dict[str, str]) -> Iterator[Commit]:
    """Commits on `heads` not reachable from `old_heads`, each once, with the first branch it is on.

    One `git log` per branch that moved, the default branch first; each later branch also excludes the
    branches already read, so a commit on several branches is read once.
    """
    seen = [sha for sha in old_heads.values() if SHA.match(sha)]
    first = default_branch(heads)
    order = sorted(heads, key=lambda name: (name != first, name))
    for branch in order:
        sha = heads[branch]
        if old_heads.get(branch) == sha:
            seen.append(sha)
            continue
        revisions = "\n".join([sha, *(f"^{old}" for old in seen)]) + "\n"
        output = _run_local(mirror, "log", "--ignore-missing", _LOG_FORMAT, "--stdin", stdin=revisions)
        for record in output.split(_RECORD)[1:]:
            fields = record.split(_FIELD, 4)
            if len(fields) != 5 or not SHA.match(fields[0]) or not fields[3].isdigit():
                continue  # a message holding our separators: skip rather than misread
            # NUL can be forced into an object; no database column takes it.
            name, email, message = (field.replace("\x00", "") for field in (fields[1], fields[2], fields[4]))
            yield Commit(
                sha=fields[0],
                author_name=name[:200],
                author_email=email.strip().lower()[:254],
                authored_at=_moment(fields[3]),
                message=message,
                branch=branch[:255],
            )
        seen.append(sha)


def first_release_tags(
    mirror: Path, tags: dict[str, tuple[str, int]], old_tags: dict[str, tuple[str, int]]
) -> dict[str, str]:
    """For the tags new since the last sync: commit id -> the oldest tag that first contains it."""
    fresh = sorted((date, name) for name, (sha, date) in tags.items() if old_tags.get(name) != (sha, date))
    found: dict[str, str] = {}
    for date, name in fresh:
        older = [sha for other, (sha, other_date) in tags.items() if other != name and other_date < date]
        revisions = "\n".join([tags[name][0], *(f"^{sha}" for sha in older)]) + "\n"
        for sha in _run_local(mirror, "rev-list", "--ignore-missing", "--stdin", stdin=revisions).split():
            found.setdefault(sha, name[:255])
    return found


@dataclass(frozen=True)
class RootFile:
    name: str | None
    text: str | None
    note: str | None


def read_root_file(mirror: Path, commit: str, names: tuple[str, ...], max_bytes: int) -> RootFile:
    """A file at the root of `commit`'s tree, read from the git objects (never from a checkout).

    A symbolic link (mode 120000) is not followed and a file over `max_bytes` is not read; `note` says why.
    """
    if not SHA.match(commit):
        return RootFile(None, None, None)
    repo = gitpython.Repo(str(mirror))
    repo.git.update_environment(**_environment(()))
    try:
        tree = repo.commit(commit).tree
        by_name = {item.name.lower(): item for item in tree if item.type == "blob"}
        item = next((by_name[name] for name in names if name in by_name), None)
        if item is None:
            return RootFile(None, None, None)
        if item.mode == SYMLINK_MODE:
            return RootFile(item.name, None, f"{item.name} is a symbolic link; it is not followed, for safety.")
        if item.size > max_bytes:
            return RootFile(item.name, None, f"{item.name} is larger than {max_bytes // 1024} KB; it is not shown.")
        text = item.data_stream.read().decode("utf-8", "replace").replace("\x00", "")
        return RootFile(item.name, text, None)
    except (ValueError, gitpython.GitCommandError, gitpython.BadName) as error:
        return RootFile(None, None, f"The repository's files could not be read: {type(error).__name__}.")
    finally:
        repo.close()


def weekly_activity(mirror: Path, head: str, now: datetime, weeks: int = 52) -> list[int]:
    """Commits per week reachable from `head` over the last `weeks` weeks, oldest week first."""
    counts = [0] * weeks
    if not SHA.match(head):
        return counts
    since = int(now.timestamp()) - weeks * 7 * 86400
    output = _run_local(mirror, "log", "--format=%at", f"--since={since}", head)
    for line in output.split():
        age_weeks = (int(now.timestamp()) - int(line)) // (7 * 86400)
        if 0 <= age_weeks < weeks:
            counts[weeks - 1 - age_weeks] += 1
    return counts


def top_authors(mirror: Path, head: str, limit: int = 10) -> list[dict]:
    if not SHA.match(head):
        return []
    output = _run_local(mirror, "shortlog", "--summary", "--numbered", head)
    authors = []
    for line in output.splitlines()[:limit]:
        count, _, name = line.strip().partition("\t")
        if count.isdigit():
            authors.append({"name": name[:200], "commits": int(count)})
    return authors
