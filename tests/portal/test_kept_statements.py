"""A statement kept between requests is declared one way: @kept or @kept_by_shape (portal.statements)."""

import ast
from pathlib import Path

import sqlalchemy as sa

from portal.statements import kept, kept_by_shape

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("portal", "ideas", "roadmap", "contributors")


def _modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts and path != ROOT / "portal" / "statements.py":
                yield path, ast.parse(path.read_text())


def _names_called(node: ast.AST) -> set[str]:
    return {
        call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        for call in ast.walk(node)
        if isinstance(call, ast.Call)
    }


def test_no_statement_is_kept_by_functools_cache_or_as_a_module_level_statement():
    found = []
    for path, tree in _modules():
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                for decorator in node.decorator_list:
                    name = ast.unparse(decorator)
                    if name.split("(")[0] in ("functools.cache", "functools.lru_cache", "cache", "lru_cache") and (
                        "import sqlalchemy" in path.read_text()
                    ):
                        found.append(f"{where}:{node.lineno} {node.name} (@{name})")
        for node in tree.body:
            if isinstance(node, ast.Assign) and "bindparam" in _names_called(node.value):
                found.append(f"{where}:{node.lineno} {ast.unparse(node.targets[0])} (a module-level statement)")
    assert not found, "keep these statements with @kept or @kept_by_shape (portal.statements):\n" + "\n".join(found)


def test_kept_builds_once_and_names_its_values():
    built = []
    numbers = sa.table("numbers", sa.column("id", sa.Integer))

    @kept
    def numbered(number: int, among: list[int]) -> sa.Select:
        built.append(1)
        return sa.select(numbers.c.id).where(numbers.c.id == number, numbers.c.id.in_(among))

    first, values = numbered(3, among=[1, 2])
    assert numbered(4, [5])[0] is first and values == {"number": 3, "among": [1, 2]} and len(built) == 1


def test_kept_by_shape_builds_once_for_each_shape():
    built = []

    @kept_by_shape
    def shaped(wide: bool) -> sa.Select:
        built.append(wide)
        return sa.select(sa.literal_column("1" if wide else "2"))

    assert shaped(True) is shaped(True) and shaped(False) is not shaped(True) and built == [True, False]
