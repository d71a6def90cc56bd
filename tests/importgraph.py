"""An import graph read from source with ``ast``: edges, cycles, layer violations.

Used by ``tests/test_architecture.py``; nothing is imported, so a module with import-time
side effects (or one that fails to import) is read all the same.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path


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


def report(title: str, edges: Iterable[Edge]) -> str:
    return title + "\n" + "\n".join(f"  {e}" for e in edges)
