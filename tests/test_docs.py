"""The README documents every command, option, config key and environment variable."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from wirecore.sources import SourceConfig
from wirewatch.cli import cli
from wirewatch.config import CrawlConfig, ReportConfig

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
    return found


COMMANDS = _commands(cli)


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_and_option_is_documented(name: str, command: click.Command) -> None:
    assert f"wirewatch {name}" in README, f"`wirewatch {name}` is not in the README"
    for param in command.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--") and opt != "--help":
                assert opt in README, f"option {opt} of `wirewatch {name}` is not in the README"


def test_global_options_are_documented() -> None:
    for param in cli.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--") and opt != "--help":
                assert opt in README


@pytest.mark.parametrize(
    ("section", "keys"),
    [
        ("[crawl]", CrawlConfig.__slots__),
        ("[report]", ReportConfig.__slots__),
        ("[[sources]]", SourceConfig.__slots__),
    ],
)
def test_every_config_key_is_documented(section: str, keys: tuple[str, ...]) -> None:
    block = README.split(section, 1)[1]
    for key in keys:
        assert re.search(rf"^{key} = ", block, re.M), f"{section} {key} is not documented"


def test_every_environment_variable_is_documented() -> None:
    source = (Path(__file__).resolve().parents[1] / "wirewatch" / "config.py").read_text()
    for var in set(re.findall(r'"(WIREWATCH_[A-Z_]+)"', source)):
        assert f"`{var}`" in README, f"{var} is not documented"
