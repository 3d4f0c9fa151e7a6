"""Which code the benchmark measures: the working tree, or a committed revision.

The portal and the bench's own database work (seed.py, state.py) run as separate processes
with this code first on their path, so a revision can be measured while the working tree is
being edited, and two revisions can be compared on one machine.
"""

import io
import os
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent


@dataclass(frozen=True)
class Source:
    root: Path
    label: str

    def environment(self) -> dict[str, str]:
        """Variables that make a Python process import `portal` and `ideas` from this code."""
        if self.root == PROJECT:
            return {}
        return {"PYTHONPATH": os.pathsep.join(filter(None, [str(self.root), os.environ.get("PYTHONPATH")]))}


def working_tree() -> Source:
    return Source(PROJECT, "working tree")


def revision(name: str) -> Source:
    """The code of a commit, exported once into bench/data/source-<commit>/ (git archive)."""
    commit = _git("rev-parse", "--verify", f"{name}^{{commit}}").strip()
    root = BENCH / "data" / f"source-{commit[:12]}"
    if not (root / "portal").is_dir():
        archive = subprocess.run(["git", "archive", commit], cwd=PROJECT, capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(root, filter="data")
    return Source(root, f"commit {commit[:12]}")


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=PROJECT, capture_output=True, text=True, check=True).stdout
