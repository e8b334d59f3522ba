"""The rules that keep the layout simple, checked on the source (ARCHITECTURE.md, STYLE rule 9).

Domains never import the HTTP layer or Litestar: only `appliance/http/`, `server.py` and
`cli.py` may. Nothing reads the environment at import time: config is an explicit object.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "appliance"
MAY_USE_HTTP = ("http/", "server.py", "cli.py")


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def name(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def imported(tree: ast.AST, path: Path) -> Iterator[str]:
    """Every module name an `import` or `from ... import` in the tree refers to, made absolute."""
    package = ["appliance", *path.relative_to(PACKAGE).parent.parts]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def forbidden(module: str) -> bool:
    return (
        module.split(".")[0] == "litestar"
        or module == "appliance.http"
        or module.startswith("appliance.http.")
    )


@pytest.mark.parametrize("path", [p for p in modules() if not name(p).startswith(MAY_USE_HTTP)], ids=name)
def test_only_the_surfaces_import_litestar_or_the_http_layer(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

    assert sorted({m for m in imported(tree, path) if forbidden(m)}) == []


def test_the_import_check_sees_what_it_should() -> None:
    # Guard the guard: the same walk finds the imports of a surface module.
    path = PACKAGE / "http" / "auth.py"
    found = set(imported(ast.parse(path.read_text(encoding="utf-8")), path))

    assert "litestar" in found
    assert "appliance.accounts.credentials" in found
    assert (
        forbidden("litestar.params") and forbidden("appliance.http.auth") and not forbidden("appliance.httpx")
    )


def import_time_nodes(tree: ast.Module) -> Iterator[ast.AST]:
    """Nodes that run when the module is imported: everything outside function bodies.

    Default values and decorators run at import time, so they are included.
    """
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            stack.extend(node.decorator_list)
            stack.extend(node.args.defaults)
            stack.extend(d for d in node.args.kw_defaults if d is not None)
        elif isinstance(node, ast.Lambda):
            stack.extend(node.args.defaults)
        else:
            stack.extend(ast.iter_child_nodes(node))


def reads_environment(node: ast.AST) -> bool:
    match node:
        case ast.Attribute(value=ast.Name(id="os"), attr="environ" | "getenv" | "environb" | "getenvb"):
            return True
        case ast.ImportFrom(module="os", names=names):
            return any(alias.name in ("environ", "getenv", "environb", "getenvb") for alias in names)
    return False


@pytest.mark.parametrize("path", modules(), ids=name)
def test_nothing_reads_the_environment_at_import_time(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

    found = [f"line {getattr(n, 'lineno', 0)}" for n in import_time_nodes(tree) if reads_environment(n)]

    assert found == []


def test_config_never_touches_the_environment() -> None:
    # load_config takes the environment it should read as an argument; it never fetches one.
    tree = ast.parse((PACKAGE / "config.py").read_text(encoding="utf-8"))

    assert [getattr(n, "lineno", 0) for n in ast.walk(tree) if reads_environment(n)] == []


def test_the_environment_check_sees_what_it_should() -> None:
    tree = ast.parse(
        "import os\n"
        "PORT = os.environ.get('PORT')\n"
        "def later():\n"
        "    return os.getenv('LATER')\n"
        "def default(x=os.getenv('DEFAULT')):\n"
        "    pass\n"
    )

    assert sorted(getattr(n, "lineno", 0) for n in import_time_nodes(tree) if reads_environment(n)) == [2, 5]
