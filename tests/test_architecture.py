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
(``ITEM_PIPELINES`` in ``scrapers/settings.py``, the crawl layer's one Scrapy project) are
strings, not imports: the last test here checks those strings instead. A failure lists
every offending edge as ``file:line: importer -> imported``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.importgraph import (
    Edge,
    cycles,
    layer_violations,
    read_graph,
    report,
    third_party,
    top,
)

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


# -- the project itself

GRAPH = read_graph(ROOT, LAYERS)
SHIPPED = frozenset(LAYERS) - {"tests", "benchmarks"}
"""The packages of the wheel (tests and benchmarks may reach into private names)."""


def _fail_with(title: str, edges: list[Edge]) -> None:
    if edges:
        pytest.fail(report(title, edges), pytrace=False)


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
    text = report("cycle:", found[0])
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


def test_scrapy_settings_name_nothing_above_the_crawl_layer() -> None:
    """The dotted paths in ``scrapers/settings.py`` stay in ``scrapers`` and ``pipelines``;
    the add-on that reads wirewatch's config is added by ``wirewatch.scrapy_project``."""
    import scrapers.settings
    import wirewatch.scrapy_project

    named = [
        path
        for value in vars(scrapers.settings).values()
        if isinstance(value, dict)
        for path in value
        if isinstance(path, str) and "." in path
    ]
    assert named, "ITEM_PIPELINES and the middlewares are dotted paths"
    assert {p.split(".")[0] for p in named} <= {"scrapers", "pipelines", "scrapy"}, named
    assert "wirewatch.scrapy_addon.WirewatchAddon" in wirewatch.scrapy_project.ADDONS
    assert wirewatch.scrapy_project.ITEM_PIPELINES == scrapers.settings.ITEM_PIPELINES
