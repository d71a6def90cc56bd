"""The import graph: no cycle between files or packages, and every package in its layer.

The graph is read from the source with ``ast`` (nothing is imported). Every import
counts, wherever it is written: at the top of a module, inside a function (a lazy
import is still a dependency) and under ``if TYPE_CHECKING:`` (a type the module names
is a dependency of its design, even if Python never runs that import). The layers,
bottom to top::

    wirecore                      stdlib only: errors, SourceConfig
    storage                       wirecore
    scrapers                      storage, wirecore
    pipelines                     scrapers (its items), storage, wirecore
    scheduler | reports | web     the packages below; not each other, never wirewatch
    wirewatch                     the composition root: any of the above
    tests, benchmarks             outside the wheel; no shipped package imports them

No shipped module imports a private (``_name``) name of another module either: what
two modules share is public in one place. Dotted paths Scrapy loads from its settings
(``ITEM_PIPELINES``, ``ADDONS`` in ``scrapers/settings.py``) are strings, not imports, and
not checked here. A failure lists every offending edge as ``file:line: importer -> imported``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_BELOW_APPS = frozenset({"pipelines", "scrapers", "storage", "wirecore"})
_APPS = frozenset({"scheduler", "reports", "web"})
_WHEEL = _BELOW_APPS | _APPS | {"wirewatch"}

LAYERS: dict[str, frozenset[str]] = {
    "wirecore": frozenset(),
    "storage": frozenset({"wirecore"}),
    "scrapers": frozenset({"storage", "wirecore"}),
    "pipelines": frozenset({"scrapers", "storage", "wirecore"}),
    "scheduler": _BELOW_APPS,
    "reports": _BELOW_APPS,
    "web": _BELOW_APPS,
    "wirewatch": _BELOW_APPS | _APPS,
    "tests": _WHEEL,
    "benchmarks": _WHEEL | {"tests"},
}
"""Which project packages each top-level package may import (besides itself)."""

STDLIB_ONLY = frozenset({"wirecore"})
"""Packages that may import nothing outside the standard library and themselves."""


@dataclass(frozen=True, slots=True)
class Edge:
    """One import: ``source`` module imports ``target`` at ``path:line``."""

    source: str
    target: str
    path: str
    line: int
    type_only: bool = False

    def __str__(self) -> str:
        note = " (under TYPE_CHECKING)" if self.type_only else ""
        return f"{self.path}:{self.line}: {self.source} -> {self.target}{note}"


def top(module: str) -> str:
    """The top-level package of a dotted module name."""
    return module.split(".", 1)[0]


def module_name(path: Path, root: Path) -> str:
    """``storage/models.py`` -> ``storage.models``; a package's ``__init__`` is the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def find_modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Every module of ``packages`` under ``root``, by dotted name."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            found[module_name(path, root)] = path
    return found


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                for sub in ast.walk(inner):
                    if hasattr(sub, "lineno"):
                        lines.add(sub.lineno)
    return lines


def imported_names(tree: ast.AST, module: str, is_package: bool) -> list[tuple[str, int]]:
    """Every dotted name the module imports, with its line; relative imports resolved.

    ``from a.b import c`` yields both ``a.b.c`` and ``a.b``: the caller keeps the one
    that names a module.
    """
    names: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _from_base(node, module, is_package)
            names += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
            names.append((base, node.lineno))
    return names


def _from_base(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module of ``from <base> import ...`` (``from . import x`` too)."""
    base = node.module or ""
    if not node.level:
        return base
    anchor = module.split(".")
    drop = node.level - 1 if is_package else node.level
    anchor = anchor[: len(anchor) - drop] if drop else anchor
    return ".".join([*anchor, base] if base else anchor)


def resolve(name: str, known: Mapping[str, Path]) -> str | None:
    """The longest known module ``name`` names (``a.b.func`` -> ``a.b``), or None."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


@dataclass(frozen=True, slots=True)
class Graph:
    """The imports of a set of packages, read from their source."""

    edges: list[Edge]
    """Imports between project modules, one per (importer, imported) pair."""
    outside: list[Edge]
    """Imports of anything that is not a project module (stdlib, third party)."""
    private: list[Edge]
    """``from module import _name`` where ``module`` is another project module."""


def read_graph(root: Path, packages: Iterable[str]) -> Graph:
    """Parse every module of ``packages`` under ``root`` and collect its imports."""
    known = find_modules(root, packages)
    edges: dict[tuple[str, str], Edge] = {}
    outside: list[Edge] = []
    private: list[Edge] = []
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        type_only = _type_checking_lines(tree)
        rel = str(path.relative_to(root))
        is_package = path.name == "__init__.py"
        for name, line in imported_names(tree, module, is_package):
            target = resolve(name, known)
            if target is None:
                if top(name) not in known and not name.startswith(f"{top(module)}."):
                    outside.append(Edge(module, name, rel, line, line in type_only))
                continue
            if target == module or (module, target) in edges:
                continue
            edges[(module, target)] = Edge(module, target, rel, line, line in type_only)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = _from_base(node, module, is_package)
                private += [
                    Edge(module, f"{base}.{alias.name}", rel, node.lineno)
                    for alias in node.names
                    if _is_private(alias.name) and base in known and base != module
                ]
    return Graph(list(edges.values()), outside, private)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def cycles(edges: Iterable[Edge], key: str = "module") -> list[list[Edge]]:
    """Each strongly connected group of more than one node, as the edges inside it.

    ``key="package"`` collapses modules into their top-level packages first.
    """
    name = (lambda m: m) if key == "module" else top
    graph: dict[str, set[str]] = {}
    by_pair: dict[tuple[str, str], list[Edge]] = {}
    for edge in edges:
        a, b = name(edge.source), name(edge.target)
        if a == b:
            continue
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
        by_pair.setdefault((a, b), []).append(edge)
    groups = _strongly_connected(graph)
    found = []
    for group in groups:
        if len(group) > 1:
            inside = [e for (a, b), es in sorted(by_pair.items()) if a in group and b in group
                      for e in es]  # fmt: skip
            found.append(inside)
    return found


def _strongly_connected(graph: Mapping[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative (the graph has hundreds of nodes)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    groups.append(group)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return groups


def layer_violations(edges: Iterable[Edge], layers: Mapping[str, frozenset[str]]) -> list[Edge]:
    """The imports of a project package its layer does not allow."""
    return [
        e for e in edges
        if top(e.source) != top(e.target) and top(e.target) not in layers[top(e.source)]
    ]  # fmt: skip


def third_party(outside: Iterable[Edge], stdlib_only: Iterable[str]) -> list[Edge]:
    """Imports of non-standard libraries by the packages that must use the stdlib only."""
    allowed = set(sys.stdlib_module_names) | {"__future__"}
    only = set(stdlib_only)
    return [e for e in outside if top(e.source) in only and top(e.target) not in allowed]


def _report(title: str, edges: Iterable[Edge]) -> str:
    return title + "\n" + "\n".join(f"  {e}" for e in edges)


# -- the project itself

GRAPH = read_graph(ROOT, LAYERS)
SHIPPED = frozenset(LAYERS) - {"tests", "benchmarks"}
"""The packages of the wheel (tests and benchmarks may reach into private names)."""


def _fail_with(title: str, edges: list[Edge]) -> None:
    if edges:
        pytest.fail(_report(title, edges), pytrace=False)


def test_every_top_level_package_has_a_layer() -> None:
    on_disk = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    assert on_disk == set(LAYERS), "give each top-level package a place in LAYERS"


def test_the_graph_was_read() -> None:
    pairs = {(e.source, e.target) for e in GRAPH.edges}
    assert ("pipelines.store", "storage.writes") in pairs
    assert ("wirewatch.runtime", "scheduler.service") in pairs  # a function-level import
    assert len(GRAPH.edges) > 200


def test_no_import_cycle_between_files() -> None:
    for group in cycles(GRAPH.edges):
        _fail_with("import cycle between files:", group)


def test_no_import_cycle_between_packages() -> None:
    for group in cycles(GRAPH.edges, key="package"):
        _fail_with("import cycle between packages:", group)


def test_each_package_imports_only_the_layers_below_it() -> None:
    bad = layer_violations(GRAPH.edges, LAYERS)
    _fail_with("imports the layering forbids (see the docstring of tests/test_architecture.py):",
               bad)  # fmt: skip


def test_the_bottom_package_uses_the_standard_library_only() -> None:
    _fail_with("third-party imports in a stdlib-only package:",
               third_party(GRAPH.outside, STDLIB_ONLY))  # fmt: skip


def test_no_package_imports_private_names_of_another_module() -> None:
    bad = [e for e in GRAPH.private if top(e.source) in SHIPPED]
    _fail_with("private names imported from another module (make them public):", bad)


# -- the checker, on graphs made for it


def _write(root: Path, files: Mapping[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


SYNTHETIC = {
    "low/__init__.py": "",
    "low/a.py": "import json\nfrom low.b import thing\n",
    "low/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from low import a\n",
    "low/c.py": "import requests\nfrom . import b\nfrom .a import _hidden\n",
    "high/__init__.py": "",
    "high/x.py": "def f():\n    from low.c import g\n",
    "high/y.py": "from high.x import f\n",
}


@pytest.fixture
def synthetic(tmp_path: Path) -> Path:
    _write(tmp_path, SYNTHETIC)
    return tmp_path


def test_checker_finds_a_file_cycle_through_a_type_checking_import(synthetic: Path) -> None:
    graph = read_graph(synthetic, ["low", "high"])
    found = cycles(graph.edges)
    assert len(found) == 1
    assert {(e.source, e.target) for e in found[0]} == {("low.a", "low.b"), ("low.b", "low.a")}
    text = _report("cycle:", found[0])
    assert "low/b.py:3: low.b -> low.a (under TYPE_CHECKING)" in text
    assert "low/a.py:2: low.a -> low.b" in text


def test_checker_resolves_relative_and_function_level_imports(synthetic: Path) -> None:
    graph = read_graph(synthetic, ["low", "high"])
    pairs = {(e.source, e.target) for e in graph.edges}
    assert ("low.c", "low.b") in pairs  # from . import b
    assert ("low.c", "low.a") in pairs  # from .a import _hidden
    assert ("high.x", "low.c") in pairs  # inside a function
    assert ("high.y", "high.x") in pairs
    assert {e.target for e in graph.outside} >= {"json", "requests"}
    assert [str(e) for e in graph.private] == ["low/c.py:3: low.c -> low.a._hidden"]


def test_checker_finds_a_package_cycle_and_layer_violations(synthetic: Path) -> None:
    _write(synthetic, {"low/d.py": "import high.y\n"})
    graph = read_graph(synthetic, ["low", "high"])
    packages = cycles(graph.edges, key="package")
    assert len(packages) == 1
    assert {(e.source, e.target) for e in packages[0]} == {
        ("high.x", "low.c"),
        ("low.d", "high.y"),
    }
    layers = {"low": frozenset(), "high": frozenset({"low"})}
    assert [str(e) for e in layer_violations(graph.edges, layers)] == [
        "low/d.py:1: low.d -> high.y"
    ]
    assert [e.target for e in third_party(graph.outside, ["low"])] == ["requests"]


def test_checker_failure_lists_the_offending_edges(synthetic: Path) -> None:
    graph = read_graph(synthetic, ["low", "high"])
    with pytest.raises(pytest.fail.Exception) as failed:
        _fail_with("import cycle between files:", cycles(graph.edges)[0])
    assert str(failed.value).splitlines() == [
        "import cycle between files:",
        "  low/a.py:2: low.a -> low.b",
        "  low/b.py:3: low.b -> low.a (under TYPE_CHECKING)",
    ]


def test_checker_passes_a_clean_graph(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {"low/__init__.py": "", "low/a.py": "import os\n", "high/__init__.py": "",
         "high/x.py": "from low.a import os\n"},
    )  # fmt: skip
    graph = read_graph(tmp_path, ["low", "high"])
    assert [(e.source, e.target) for e in graph.edges] == [("high.x", "low.a")]
    assert cycles(graph.edges) == [] and cycles(graph.edges, key="package") == []
    assert layer_violations(graph.edges, {"low": frozenset(), "high": frozenset({"low"})}) == []
    assert third_party(graph.outside, ["low"]) == [] and graph.private == []
