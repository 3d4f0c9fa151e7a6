"""How the tests themselves are written: fixtures come from conftest.py files, helpers from helper
modules (never from another test module), and nothing waits by sleeping a fixed time.

A test module imported by another runs its module-level code twice under two names, and a fixture
imported that way is shadowed silently when the importer defines its own. A fixed sleep is too long
on a quiet machine and too short on a busy one: tests poll with a deadline (tests/waiting.py).
"""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
PORTAL = TESTS.parent / "portal"

# The modules whose job is to wait: they poll with a deadline between their sleeps.
WAITING = {TESTS / "waiting.py"}

# A sleep that is the behaviour under test rather than a wait for something: (file name, function) -> why.
SLEEPS_ALLOWED = {
    ("githttp.py", "git_http_app.app"): "a git server slower than the client's timeout, on purpose",
    ("test_jobs.py", "take_time"): "a job that takes a little time, so that runners overlap",
    ("test_jobs.py", "take_three_leases"): "a job that runs three leases long, so that its heartbeat is seen",
    ("test_db.py", "test_a_slow_sqlite_read_moves_off_the_event_loop_and_still_answers.tick_while"): (
        "the ticks are the measurement: how often the event loop ran while SQLite counted"
    ),
    ("test_db.py", "test_a_write_cancelled_while_another_process_holds_the_lock_leaves_no_transaction_open"): (
        "the write must be blocked inside BEGIN IMMEDIATE when it is cancelled, and nothing outside shows that"
    ),
    ("test_db.py", "test_a_read_waiting_for_a_connection_is_served_before_later_ones"): (
        "both connections must be taken by slow reads before the third asks, and nothing outside shows that"
    ),
    ("test_webhooks.py", "test_the_server_sends_at_once_after_the_response_without_waiting_for_its_next_poll"): (
        "the job loop's start-up pass must be over, so that only the kick can send; nothing outside shows it"
    ),
}


def python_files() -> list[Path]:
    return sorted(path for path in TESTS.rglob("*.py") if ".venv" not in path.parts)


def is_test_module(name: str) -> bool:
    """`tests.portal.test_cli` or `tests.conftest`: a module pytest collects, not a helper."""
    last = name.rsplit(".", 1)[-1]
    return last.startswith("test_") or last == "conftest"


def imported_modules(tree: ast.Module, path: Path) -> list[tuple[int, str]]:
    found = []
    package = ".".join(path.relative_to(TESTS.parent).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def test_no_module_of_the_tests_imports_a_test_module_or_a_conftest():
    """Fixtures live in conftest.py files, where pytest finds them; shared helpers in helper modules
    (tests/people.py, tests/apps.py, tests/pages.py...)."""
    offending = []
    for path in python_files():
        for line, name in imported_modules(ast.parse(path.read_text(), str(path)), path):
            if name.startswith("tests.") and is_test_module(name):
                offending.append(f"{path.relative_to(TESTS.parent)}:{line} imports {name}")
    assert offending == []


def sleeps_in(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, enclosing function's dotted name) of each call to time.sleep or asyncio.sleep, also
    when imported as `from time import sleep`."""
    bare = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module in ("time", "asyncio")
        for alias in node.names
        if alias.name == "sleep"
    }
    found = []

    def visit(node: ast.AST, where: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            inside = where
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                inside = [*where, child.name]
            if isinstance(child, ast.Call):
                called = child.func
                if (
                    isinstance(called, ast.Attribute)
                    and called.attr == "sleep"
                    and isinstance(called.value, ast.Name)
                    and called.value.id in ("time", "asyncio")
                ) or (isinstance(called, ast.Name) and called.id in bare):
                    found.append((child.lineno, ".".join(where)))
            visit(child, inside)

    visit(tree, [])
    return found


def test_tests_wait_by_polling_with_a_deadline_not_by_sleeping():
    offending = []
    for path in python_files():
        if path in WAITING:
            continue
        for line, where in sleeps_in(ast.parse(path.read_text(), str(path))):
            if (path.name, where) not in SLEEPS_ALLOWED:
                offending.append(f"{path.relative_to(TESTS.parent)}:{line} sleeps in {where or 'the module'}")
    assert offending == [], "poll with tests.waiting.until / until_sync, or allow the sleep here with a reason"


def test_every_allowed_sleep_is_still_there():
    """An allowance outlives its sleep unnoticed otherwise."""
    present = {(path.name, where) for path in python_files() for _, where in sleeps_in(ast.parse(path.read_text()))}
    assert set(SLEEPS_ALLOWED) - present == set()


def test_the_tests_of_portal_mirror_its_packages():
    """tests/portal/<name>/ holds the tests of the package portal/<name>/; the tests of portal's plain
    modules (portal/security.py...) sit in tests/portal/ itself. One folder has no package of that
    name: db/, the database layer (portal/db.py, sqlite.py, statements.py and their faults)."""
    packages = {path.parent.name for path in PORTAL.glob("*/__init__.py")} | {"db"}
    folders = {path.parent.name for path in (TESTS / "portal").glob("*/__init__.py")}
    assert folders - packages == set()
    named_after_a_package = [
        path.name
        for path in (TESTS / "portal").glob("test_*.py")
        if any(path.stem == f"test_{name}" or path.stem.startswith(f"test_{name}_") for name in packages)
    ]
    assert named_after_a_package == [], "their place is tests/portal/<package>/"
