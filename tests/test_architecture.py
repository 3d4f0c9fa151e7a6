"""The shape of the code: domains plug into the shell through one list, and imports run downhill.

The contracts live in pyproject.toml ([tool.importlinter]); README's "Working on Roundtable"
says how a domain plugs in.
"""

import ast
import subprocess
import sys
from pathlib import Path

from portal.app import DOMAINS, create_app
from portal.domains import Domain
from tests.people import Person

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("portal", "ideas", "roadmap", "contributors")
LINT = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def test_the_import_contracts_hold():
    """An uphill import (portal -> a domain outside the assembly, ideas -> roadmap or
    contributors) breaks a contract and fails here, naming the import."""
    result = subprocess.run(
        [sys.executable, "-c", LINT, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_every_domain_is_a_domain_and_named_only_in_the_app_s_list():
    assert DOMAINS and all(isinstance(domain, Domain) for domain in DOMAINS)
    assert len({domain.name for domain in DOMAINS}) == len(DOMAINS)
    modules = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts): path
        for package in PACKAGES
        for path in (ROOT / package).rglob("domain.py")
    }
    # Every package's domain.py is in the list, under its package's name...
    assert sorted(module.removesuffix(".domain") for module in modules) == sorted(d.name for d in DOMAINS)
    # ...and no module but portal/app.py imports one.
    naming = {
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if _imported_modules(path) & set(modules)
    }
    assert naming == {"portal/app.py"}


async def test_an_app_of_the_shell_alone_serves_the_sign_in_page(settings):
    """The shell's own services plug in like any domain: without ideas, roadmap or contributors
    the app starts, and a visitor can sign in."""
    shell = [domain for domain in DOMAINS if domain.name.startswith("portal.")]
    assert len(shell) < len(DOMAINS)
    app = create_app(settings, domains=shell)
    assert [domain.name for domain in app.state.assembly.domains] == [domain.name for domain in shell]
    async with app.router.lifespan_context(app):
        async with Person.browsing(app) as visitor:
            page = await visitor.get("/signin")
            assert page.status_code == 200
            assert (await visitor.get("/boards")).status_code == 404
