"""Every command that prints rows takes the shared output options, and each format parses.

The registry below names the row-printing commands; the tree walk fails when a command
prints rows (calls ``emit_rows`` or ``render``) without ``@output_options``, or when a
command has the options but is missing here (so it is not exercised below).
"""

from __future__ import annotations

import csv
import inspect
import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.records import FailureRecord, SourceCounts
from storage.report_queries import record_delivery
from storage.writes import ensure_sources, record_failures, store_articles
from tests.conftest import article, utc
from wirewatch.canary import CanaryResult
from wirewatch.cli import cli
from wirewatch.crawl import CrawlSummary
from wirewatch.output import FORMAT_HELP, FORMATS, is_row_command

ROW_COMMANDS = {
    "crawl": ["crawl"],
    "poll": ["poll"],
    "query": ["query"],
    "config": ["config"],
    "sources": ["sources"],
    "sources check": ["sources", "check"],
    "sources failures": ["sources", "failures", "--since", "2026-11-01"],
    "deliveries": ["deliveries", "--date", "2026-11-27"],
}
"""Every command that prints rows, and the arguments that run it."""

NOT_ROWS = {
    "eval": "a scoring report: a score table, then each mistake with its evidence "
    "(--format text|json, one JSON object)",
}
"""Commands that use the table renderer inside a document rather than printing rows."""

TITLE = "北方領土 Курилы: talks resume"
SOURCE = "tass-ru"
DATA_DIR = "данные-データ"
ARTICLE_URL = "https://wire.example.com/статья/1"
REASON = "HTTP 404: страница не найдена"
NON_ASCII = {
    "query": TITLE,
    "config": DATA_DIR,
    "sources check": ARTICLE_URL,
    "sources failures": REASON,
    "deliveries": REASON,
}
"""Text each command prints that must come out as is, not \\u-escaped."""


def _walk(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from _walk(command, f"{prefix}{name} ")


COMMANDS = dict(_walk(cli))


def _prints_rows(command: click.Command) -> bool:
    source = inspect.getsource(inspect.unwrap(command.callback))  # type: ignore[arg-type]
    return "emit_rows(" in source or "render(" in source


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_row_commands_have_the_output_options(name: str) -> None:
    command = COMMANDS[name]
    if _prints_rows(command) and name not in NOT_ROWS:
        assert is_row_command(command), f"`wirewatch {name}` prints rows without @output_options"
    assert is_row_command(command) == (name in ROW_COMMANDS), (
        f"`wirewatch {name}`: the registry of row commands and the decorator disagree"
    )
    if is_row_command(command):
        (option,) = [p for p in command.params if "--format" in getattr(p, "opts", ())]
        assert isinstance(option.type, click.Choice)
        assert tuple(option.type.choices) == FORMATS
        assert option.help == FORMAT_HELP  # type: ignore[attr-defined]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A configuration with one Russian-named source and one stored Japanese-titled article;
    the crawl and the canary are replaced by fakes (their output is what is tested)."""
    db = tmp_path / "w.db"
    path = tmp_path / "w.toml"
    path.write_text(
        f'builtin_sources = false\ndata_dir = "{tmp_path / DATA_DIR}"\n'
        f'[database]\nurl = "sqlite:///{db}"\n'
        f'[[sources]]\nname = "{SOURCE}"\nlanguage = "ru"\nfeeds = ["http://127.0.0.1:9/f.xml"]\n',
        encoding="utf-8",
    )
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        ensure_sources(session, {SOURCE: "ru"})
        record = article(
            "https://wire.example.com/a/1",
            title=TITLE,
            source=SOURCE,
            published=utc(2026, 11, 27, 7, 30),
        )
        store_articles(session, None, [record])
        failure = FailureRecord(SOURCE, ARTICLE_URL, "download", REASON, 404, utc(2026, 11, 27))
        record_failures(session, None, [failure])
        record_delivery(
            session,
            report_date=date(2026, 11, 27),
            channel="webhook",
            target="hooks.example.org",
            attempt=1,
            ok=False,
            error=REASON,
        )
        session.commit()
    engine.dispose()

    def fake_crawl(*_args: object, **_kwargs: object) -> CrawlSummary:
        counts = [SourceCounts(source=SOURCE, fetched=3, new=2, updated=1)]
        return CrawlSummary(run_id=7, counts=counts, feeds_ok=1, finish_reason="finished")

    def fake_canary(*_args: object, **_kwargs: object) -> list[CanaryResult]:
        ok = {"discovery": "ok", "extraction": "ok", "date": "ok", "language": "ok"}
        return [CanaryResult(source=SOURCE, **ok, article=ARTICLE_URL)]

    monkeypatch.setattr("wirewatch.crawl.run_crawl", fake_crawl)
    monkeypatch.setattr("wirewatch.canary.run_canary", fake_canary)
    monkeypatch.setattr("pipelines.extract.start_fork_server", lambda: None)
    return path


def _parse(fmt: str, text: str) -> list[dict[str, object]]:
    if fmt == "json":
        rows = json.loads(text)
        assert isinstance(rows, list)
        return rows
    if fmt == "ndjson":
        return [json.loads(line) for line in text.splitlines()]
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    header, rule, *lines = text.splitlines()
    assert set(rule) <= {"-", " "} and header.split()
    return [{"line": line} for line in lines]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", sorted(ROW_COMMANDS))
def test_every_format_parses(config: Path, name: str, fmt: str) -> None:
    args = ["--config", str(config), *ROW_COMMANDS[name], "--format", fmt]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    rows = _parse(fmt, result.stdout)
    assert rows, f"`wirewatch {name} --format {fmt}` printed no rows"
    if fmt != "table":
        assert all(rows[0].keys() == row.keys() for row in rows)
    assert NON_ASCII.get(name, "") in result.stdout


def test_query_keeps_dates_iso_and_text_unescaped(config: Path) -> None:
    out = CliRunner().invoke(cli, ["--config", str(config), "query", "--format", "ndjson"])
    (row,) = [json.loads(line) for line in out.stdout.splitlines()]
    assert row["title"] == TITLE and TITLE in out.stdout
    assert row["published"] == "2026-11-27T07:30:00+00:00"


def test_crawl_notes_go_to_stderr_in_machine_formats(config: Path) -> None:
    table = CliRunner().invoke(cli, ["--config", str(config), "crawl"])
    assert "run 7: finished" in table.stdout
    machine = CliRunner().invoke(cli, ["--config", str(config), "crawl", "--format", "json"])
    assert json.loads(machine.stdout) == [
        {
            "source": SOURCE,
            "fetched": 3,
            "new": 2,
            "updated": 1,
            "unchanged": 0,
            "flagged": 0,
            "failed": 0,
        }
    ]
    assert "run 7: finished" in machine.stderr


def test_config_rows_hide_the_password(config: Path, tmp_path: Path) -> None:
    text = config.read_text(encoding="utf-8").replace(
        f"sqlite:///{tmp_path / 'w.db'}", "postgresql+psycopg://u:s3cret@db.example/w"
    )
    config.write_text(text, encoding="utf-8")
    out = CliRunner().invoke(cli, ["--config", str(config), "config", "--format", "json"])
    settings = {r["key"]: r["value"] for r in json.loads(out.stdout)}
    assert settings["database"] == "postgresql+psycopg://u:***@db.example/w"
    assert settings["sources enabled"] == [SOURCE]
    assert "s3cret" not in out.stdout
