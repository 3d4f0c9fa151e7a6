"""The built package runs: a wheel installed (not editable) in a fresh virtual environment serves every
main page, its templates and its style sheet, started from a directory that has nothing of the repository."""

import shutil
import sys
import sysconfig
from pathlib import Path

import httpx
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from portal.templating import STATIC_DIR, TEMPLATES_DIR
from tests import processes
from tests.servers import free_port

REPO = Path(__file__).resolve().parent.parent


def run(*args: str | Path, **kwargs) -> str:
    finished = processes.run([str(arg) for arg in args], capture_output=True, timeout=300, **kwargs)
    assert finished.returncode == 0, finished.stdout.decode() + finished.stderr.decode()
    return finished.stdout.decode()


def build_wheel(tmp_path: Path) -> Path:
    """Build from a copy of the tracked files, as a release would, without touching the checkout."""
    source = tmp_path / "source"
    for name in run("git", "ls-files", "-z", cwd=REPO).split("\0"):
        if name and (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    dist = tmp_path / "dist"
    # Offline: the build backend comes from the test environment (the test extra lists it).
    offline = ["--quiet", "--no-deps", "--no-build-isolation", "--no-index"]
    run(sys.executable, "-m", "pip", "wheel", *offline, "--wheel-dir", dist, source)
    (wheel,) = dist.glob("roundtable-*.whl")
    return wheel


def fresh_environment(tmp_path: Path, wheel: Path) -> Path:
    """A new virtual environment with the wheel installed in it; the dependencies are the test
    environment's, reached through a .pth file (its own .pth files, the editable install's among
    them, are not read from there)."""
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site_packages = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    libraries = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site_packages / "zz-test-dependencies.pth").write_text("\n".join(sorted(libraries)) + "\n")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index", wheel)
    return venv


def test_a_built_wheel_installed_elsewhere_serves_every_main_page(tmp_path):
    wheel = build_wheel(tmp_path)
    venv = fresh_environment(tmp_path, wheel)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environ = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(elsewhere), "ARGON2_PROFILE": "CHEAPEST"}

    where = "import portal, portal.templating as t; print(portal.__file__, t.TEMPLATES_DIR, t.STATIC_DIR)"
    where = run(venv / "bin" / "python", "-c", where, cwd=elsewhere, env=environ).split()
    installed = venv.resolve()
    assert all(Path(path).exists() and Path(path).resolve().is_relative_to(installed) for path in where), where

    port = free_port()
    log = tmp_path / "server.log"
    command = [venv / "bin" / "roundtable", "serve", "--upgrade", "--demo", "--port", str(port)]
    with processes.started(command, cwd=elsewhere, env=environ, log=log) as server:
        base = f"http://127.0.0.1:{port}"
        processes.wait_until_answering(server, base + "/signin", log=log)
        with httpx.Client(base_url=base, timeout=30) as browser:
            home = browser.get("/")
            assert home.status_code == 200, log.read_text()
            tree = HTMLParser(home.text)
            ideas = [link.attributes["href"] for link in tree.css("a[href^='/ideas/']")]
            idea = next(path for path in ideas if path.removeprefix("/ideas/").isdigit())
            style = tree.css_first("link[rel=stylesheet]").attributes["href"]
            for path in (idea, "/roadmap", "/changelog", "/discussions", "/people", "/search?q=dark", "/signin"):
                page = browser.get(path)
                assert page.status_code == 200, (path, page.text[-2000:])
                assert HTMLParser(page.text).css_first("main"), path
            css = browser.get(style)
            assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
            assert css.content == (REPO / "static" / "style.css").read_bytes()
    assert (elsewhere / "data" / "roundtable.db").exists()  # DATA_DIR defaults to ./data where it started
    assert not list(elsewhere.glob("templates")) and not (elsewhere / "static").exists()


def test_a_checkout_uses_the_top_level_templates_and_static_folders():
    # The tests run from the repository (the wheel has no tests/), through an editable install.
    assert (TEMPLATES_DIR, STATIC_DIR) == (REPO / "templates", REPO / "static")
