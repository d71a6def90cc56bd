"""One entry point: every process wirewatch starts is a command of the one `wirewatch` CLI."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from scheduler.settings import ChildCommand
from wirewatch.cli import cli
from wirewatch.runtime import PROGRAM

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = (
    "wirecore",
    "storage",
    "scrapers",
    "pipelines",
    "scheduler",
    "reports",
    "web",
    "wirewatch",
)


def _children(command: ChildCommand) -> list[list[str]]:
    return [
        command.worker("host:1:w0.1", stdin=True),
        command.worker("host:1:w1.1", stdin=False),
        command.upgrade(),
        command.report("2026-03-01"),
    ]


@pytest.mark.parametrize("verbose", [False, True])
def test_every_child_the_service_starts_is_a_command_of_the_cli(
    tmp_path: Path, verbose: bool
) -> None:
    config = tmp_path / "wirewatch.toml"
    config.write_text("", encoding="utf-8")
    command = ChildCommand(PROGRAM, str(config), "json", verbose)
    for argv in _children(command):
        assert argv[: len(PROGRAM)] == list(PROGRAM)
        # --help is eager: click parses the whole line (an unknown command or option is
        # exit code 2) and then prints the help of the command it found, running nothing
        result = CliRunner().invoke(cli, [*argv[len(PROGRAM) :], "--help"])
        assert result.exit_code == 0, (argv, result.output)
        assert "Usage: " in result.output


def test_the_program_is_this_interpreter_running_the_cli() -> None:
    assert PROGRAM[0] == sys.executable
    done = subprocess.run([*PROGRAM, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "worker" in done.stdout and "report" in done.stdout


def test_the_help_check_refuses_what_the_cli_does_not_know() -> None:
    for argv in (["worker", "--no-such-option"], ["no-such-command"], ["db", "downgrade"]):
        assert CliRunner().invoke(cli, [*argv, "--help"]).exit_code == 2


def test_worker_child_options_are_hidden_from_users() -> None:
    result = CliRunner().invoke(cli, ["worker", "--help"])
    assert result.exit_code == 0
    for option in ("--stdin", "--name", "--report"):
        assert option not in result.output


def _main_guards_and_argparse(path: Path, root: Path = ROOT) -> list[tuple[str, str]]:
    """(file, what) for each ``if __name__ == "__main__"`` and argparse import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = str(path.relative_to(root))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            found.append((rel, "__main__ guard"))
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        if any(name.split(".")[0] in {"argparse", "optparse"} for name in names):
            found.append((rel, "argparse"))
    return found


def test_no_second_entry_point_in_the_shipped_packages() -> None:
    found = [
        hit
        for package in SHIPPED
        for path in sorted((ROOT / package).rglob("*.py"))
        for hit in _main_guards_and_argparse(path)
    ]
    assert found == [("wirewatch/cli.py", "__main__ guard")]


def test_the_entry_point_check_sees_a_second_one(tmp_path: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(
        "import argparse\n\nif __name__ == '__main__':\n    argparse.ArgumentParser()\n",
        encoding="utf-8",
    )
    assert sorted(_main_guards_and_argparse(script, tmp_path)) == [
        ("child.py", "__main__ guard"),
        ("child.py", "argparse"),
    ]
