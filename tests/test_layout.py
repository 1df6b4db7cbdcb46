"""The package's shape, checked from its source: stages import downwards only, and every package
searchkit imports is one a ``pip install`` brings.

Both read the source with ``ast`` rather than importing it, so imports inside functions (the lazy
ones that keep the CLI's start fast) count as much as those at the top of a module.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _modules(*packages: str) -> dict[str, Path]:
    found = {}
    for path in (p for package in packages for p in (ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """(imported module name, line) for every import in the file, except those only made for
    the type checker (``if TYPE_CHECKING:``), which never run."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            type_only.update(id(n) for n in ast.walk(node))
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                here = here[: len(here) - (node.level - 1)]
                base = ".".join([*here, base] if base else here)
            yield base, node.lineno
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno


def _internal_graph() -> dict[str, set[str]]:
    modules = _modules("searchkit", "bench")
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target, _ in _imports(name, path):
            while target and target not in modules:
                target = target.rpartition(".")[0]
            # a package's own __init__ is not an edge back from its modules
            if target and target != name and not name.startswith(target + "."):
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_one_that_imports_it_back():
    """In searchkit/ and bench/ alike."""
    cycles = _cycles(_internal_graph())
    assert cycles == [], "import cycles (lazy imports included): " + "; ".join(
        " <-> ".join(c) for c in cycles
    )


def test_the_cycle_check_finds_a_cycle():
    """The check above can fail: a made-up graph with a loop through three modules is caught."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def _declared_distributions(*, extras: bool = False) -> set[str]:
    """The core dependencies' names (with ``extras``: the optional extras' too)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = set()
    specs = list(project["dependencies"])
    if extras:
        specs += [spec for group in project["optional-dependencies"].values() for spec in group]
    for spec in specs:
        name = spec.split(";")[0]
        for stop in "<>=!~[ ":
            name = name.split(stop)[0]
        names.add(name.strip().lower().replace("_", "-"))
    return names


def test_every_package_searchkit_imports_is_a_declared_dependency():
    """An undeclared import works on the machine that happens to have it, and nowhere else."""
    distributions = {
        module: {d.lower().replace("_", "-") for d in dists}
        for module, dists in packages_distributions().items()
    }
    declared = _declared_distributions()
    optional = _declared_distributions(extras=True)
    undeclared = []
    for name, path in _modules("searchkit").items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for target, line in _imports(name, path):
            top = target.split(".")[0]
            if not top or top == "searchkit" or top in sys.stdlib_module_names:
                continue
            owners = distributions.get(top, {top})
            # An optional extra's package may be imported inside a function (searchkit.peers
            # imports tantivy when it is installed), never at module level.
            lazy = lines[line - 1][:1].isspace()
            if not owners & declared and not (lazy and owners & optional):
                undeclared.append(
                    f"{path.relative_to(ROOT)}:{line} imports {top} ({', '.join(owners)})"
                )
    assert undeclared == [], "not in pyproject.toml's dependencies:\n" + "\n".join(
        sorted(set(undeclared))
    )
