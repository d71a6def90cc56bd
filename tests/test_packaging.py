"""Packaging: our top-level import names are ours alone, and Scrapy's project layout works."""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGES = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]


def test_wheel_lists_exactly_the_project_packages() -> None:
    on_disk = {
        p.name
        for p in ROOT.iterdir()
        if (p / "__init__.py").is_file() and p.name not in {"tests", "benchmarks"}
    }
    assert set(PACKAGES) == on_disk
    assert {"scrapers", "pipelines", "storage", "scheduler", "reports", "wirewatch"} <= on_disk
    assert "tests" not in PACKAGES


def test_distribution_is_marked_private() -> None:
    assert PYPROJECT["project"]["name"] == "wirewatch"
    assert "Private :: Do Not Upload" in PYPROJECT["project"]["classifiers"]
    assert PYPROJECT["project"]["scripts"]["wirewatch"] == "wirewatch.cli:main"


@pytest.mark.parametrize("name", PACKAGES)
def test_no_other_distribution_claims_our_import_names(name: str) -> None:
    claims = set(importlib.metadata.packages_distributions().get(name, []))
    assert claims <= {"wirewatch"}, (
        f"{name!r} is also installed by {sorted(claims - {'wirewatch'})}"
    )
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None
    assert Path(spec.origin).resolve().is_relative_to(ROOT), f"{name} imports from {spec.origin}"


def test_scrapy_list_works_from_the_repository_root(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    scrapy = Path(sys.executable).with_name("scrapy")
    out = subprocess.run(
        [str(scrapy), "list"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert out.stdout.split() == ["wire"]


def test_importing_packages_has_no_side_effects() -> None:
    code = (
        "import logging, sys\n"
        "before = list(logging.getLogger().handlers)\n"
        "import wirewatch.cli, wirewatch.config, scheduler.service, pipelines.extract, "
        "pipelines.store, storage.db, storage.queries, reports.build, scrapers.spiders.wire, "
        "web.app, web.server, wirewatch.cli_web\n"
        "assert logging.getLogger().handlers == before, 'a handler was added at import'\n"
        "assert 'twisted.internet.reactor' not in sys.modules, 'a reactor was installed'\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def _requirement_name(spec: str) -> str:
    """The normalised distribution name of a PEP 508 requirement string."""
    name = re.split(r"[\s\[<>=!~;(]", spec.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _third_party_imports() -> dict[str, set[str]]:
    """Top-level names imported anywhere in the shipped packages -> the files importing them."""
    ours = set(PACKAGES)
    found: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for top in {n.split(".", 1)[0] for n in names}:
                    if top not in ours and top not in sys.stdlib_module_names:
                        found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_is_a_declared_dependency() -> None:
    project = PYPROJECT["project"]
    extras = {k: v for k, v in project["optional-dependencies"].items() if k != "test"}
    declared = {_requirement_name(s) for s in project["dependencies"]}
    declared |= {_requirement_name(s) for specs in extras.values() for s in specs}
    owners = importlib.metadata.packages_distributions()
    imports = _third_party_imports()
    assert {"scrapy", "lxml", "twisted"} <= imports.keys()  # the scan sees imports
    undeclared = {
        top: sorted(files)
        for top, files in imports.items()
        if not {_requirement_name(d) for d in owners.get(top, [top])} & declared
    }
    assert not undeclared, f"imported but not declared in pyproject dependencies: {undeclared}"
