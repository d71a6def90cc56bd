"""Every command, walked with hostile arguments: huge numbers, invalid UTF-8, extreme dates,
unwritable and special paths, unreachable URLs. Each must end with exit 0, or with exactly
one `wirewatch: error: ...` line (exit 1 or 2) and never a traceback.

Each case is a real `python -m wirewatch` process; the database is a SQLite file with the
schema already migrated, so a case costs one interpreter start.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from tests.faults.helpers import assert_no_traceback, assert_one_line_error, env, run_cli

pytestmark = pytest.mark.e2e

HUGE = "99999999999999999999"
BAD = b"\xff\xfe"  # invalid UTF-8, as a shell passes raw bytes
UNWRITABLE = "/sys/wirewatch-no-such-dir/out.md"  # refused even to root

# (case id, arguments after --config); {tmp} is the test's directory
CASES: list[tuple[str, list[str | bytes]]] = [
    ("query-limit-huge", ["query", "--limit", HUGE]),
    ("query-limit-negative", ["query", "--limit", "-5"]),
    ("query-search-bad-utf8", ["query", "--search", BAD]),
    ("query-source-bad-utf8", ["query", "--source", BAD]),
    ("query-lang-bad-utf8", ["query", "--lang", b"\x80"]),
    ("query-topic-bad-utf8", ["query", "--topic", b"\xc3"]),
    ("query-since-year-1", ["query", "--since", "0001-01-01"]),
    ("query-until-year-9999", ["query", "--until", "9999-12-31"]),
    ("query-since-extreme-offset", ["query", "--since", "9999-12-31T23:59:59-14:00"]),
    ("query-since-not-a-date", ["query", "--since", "2026-13-45"]),
    ("query-fts-syntax", ["query", "--search", '" OR 1=1 -- NEAR(']),
    ("query-format-bad", ["query", "--format", BAD]),
    ("report-date-year-1", ["report", "--date", "0001-01-01"]),
    ("report-date-year-9999", ["report", "--date", "9999-12-31"]),
    ("report-date-bad-utf8", ["report", "--date", BAD]),
    ("report-topic-bad-utf8", ["report", "--topic", BAD]),
    ("report-output-dev-full", ["report", "--date", "2026-11-27", "--output", "/dev/full"]),
    ("report-output-directory", ["report", "--date", "2026-11-27", "--output", "{tmp}"]),
    ("report-output-unwritable", ["report", "--date", "2026-11-27", "--output", UNWRITABLE]),
    ("report-output-bad-utf8", ["report", "--date", "2026-11-27", "--output", b"{tmp}/\xff.md"]),
    ("crawl-source-bad-utf8", ["crawl", "--source", BAD]),
    ("crawl-source-unknown", ["crawl", "--source", "no-such-source"]),
    ("crawl-no-sources", ["crawl"]),
    ("poll-source-huge-name", ["poll", "--source", "x" * 5000]),
    ("sources-format-bad-utf8", ["sources", "--format", BAD]),
    ("sources-check-unknown", ["sources", "check", "--source", "nope"]),
    ("sources-failures-since-year-1", ["sources", "failures", "--since", "0001-01-01"]),
    ("sources-failures-until-not-a-date", ["sources", "failures", "--until", "2026-13-45"]),
    ("sources-failures-source-bad-utf8", ["sources", "failures", "--source", BAD]),
    ("sources-failures-source-unknown", ["sources", "failures", "--source", "nope"]),
    ("deliveries-date-year-9999", ["deliveries", "--date", "9999-12-31"]),
    ("deliveries-date-bad-utf8", ["deliveries", "--date", BAD]),
    ("deliveries-format-bad", ["deliveries", "--format", "xml"]),
    ("backfill-since-year-1", ["backfill", "--source", "x", "--since", "0001-01-01"]),
    (
        "backfill-until-year-9999",
        ["backfill", "--source", "x", "--since", "2026-01-01", "--until", "9999-12-31"],
    ),
    ("backfill-source-bad-utf8", ["backfill", "--source", BAD, "--since", "2026-01-01"]),
    ("flag-missing-file", ["flag", "{tmp}/no-such-file"]),
    ("flag-bad-utf8-path", ["flag", b"{tmp}/\xff"]),
    ("flag-directory", ["flag", "{tmp}"]),
    ("flag-dev-zero", ["flag", "/dev/zero"]),
    ("flag-topic-bad-utf8", ["flag", "--topic", BAD, "-"]),
    ("flag-refused-url", ["flag", "http://127.0.0.1:9/"]),
    ("flag-broken-url", ["flag", "http://[::1"]),
    ("reflag-batch-huge", ["reflag", "--batch-size", HUGE]),
    ("reflag-since-year-1", ["reflag", "--since", "0001-01-01"]),
    ("reflag-topic-bad-utf8", ["reflag", "--topic", BAD]),
    ("db-upgrade-extra-arg", ["db", "upgrade", BAD]),
    ("db-check-bogus-option", ["db", "check", "--bogus"]),
    ("config-bogus-option", ["config", "--bogus"]),
    ("run-bogus-option", ["run", "--bogus"]),
    ("worker-without-a-queue", ["worker"]),
    ("worker-bogus-option", ["worker", "--bogus"]),
    ("eval-missing-file", ["eval", "{tmp}/no-such-set.jsonl"]),
    ("eval-bad-utf8-path", ["eval", b"{tmp}/\xff.jsonl"]),
    ("serve-port-huge", ["serve", "--port", HUGE]),
    ("serve-host-bad-utf8", ["serve", "--host", BAD]),
    ("unknown-command", [BAD]),
]

GLOBAL_CASES: list[tuple[str, list[str | bytes]]] = [
    ("config-file-bad-utf8-path", ["--config", b"{tmp}/\xff.toml", "config"]),
    ("config-file-device", ["--config", "/dev/zero", "config"]),
    ("config-file-binary", ["--config", "{tmp}/binary.toml", "config"]),
    ("log-format-bad", ["--log-format", BAD, "config"]),
]


def _arg(value: str | bytes, tmp: Path) -> bytes:
    raw = value if isinstance(value, bytes) else value.encode()
    return raw.replace(b"{tmp}", os.fsencode(tmp))


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("hostile-args")
    path = tmp / "wirewatch.toml"
    path.write_text(
        f'builtin_sources = false\ndata_dir = "{tmp / "data"}"\n'
        f'[database]\nurl = "sqlite:///{tmp / "w.db"}"\n[crawl]\ntimeout = 2\n',
        encoding="utf-8",
    )
    (tmp / "binary.toml").write_bytes(bytes(range(256)) * 4)
    assert run_cli(path, "db", "upgrade").returncode == 0
    yield path


@pytest.mark.parametrize(("case", "args"), CASES, ids=[c for c, _ in CASES])
def test_command_with_hostile_arguments(config: Path, case: str, args: list[str | bytes]) -> None:
    tmp = config.parent
    proc = run_cli(config, *[_arg(a, tmp) for a in args], stdin=b"", timeout=60)
    assert_no_traceback(proc)
    if case == "report-output-bad-utf8":  # a file name is bytes: a valid, if odd, name
        assert proc.returncode == 0 and (tmp / os.fsdecode(b"\xff.md")).is_file()
    elif case.startswith(("report-output", "flag-", "reflag-", "backfill-")) or "bad-utf8" in case:
        assert_one_line_error(proc)
    if case == "report-output-dev-full":
        assert Path("/dev/full").is_char_device()


@pytest.mark.parametrize(("case", "args"), GLOBAL_CASES, ids=[c for c, _ in GLOBAL_CASES])
def test_global_options_with_hostile_values(
    config: Path, case: str, args: list[str | bytes]
) -> None:
    proc = run_cli(None, *[_arg(a, config.parent) for a in args], timeout=60)
    assert_one_line_error(proc, code=2)


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody:secret@127.0.0.1:9/none"
    proc = run_cli(None, "query", env=env(WIREWATCH_DATABASE_URL=url), timeout=60)
    line = assert_one_line_error(proc, code=1)
    assert "secret" not in proc.stderr and "127.0.0.1" in line


def test_unwritable_database_path_is_one_line(tmp_path: Path) -> None:
    url = "sqlite:////sys/wirewatch-no-such-dir/w.db"
    proc = run_cli(None, "sources", env=env(WIREWATCH_DATABASE_URL=url), timeout=60)
    assert_one_line_error(proc, code=1)


def test_report_send_into_a_file_as_directory_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    (tmp_path / "reports").write_text("not a directory", encoding="utf-8")
    config.write_text(
        f'builtin_sources = false\n[database]\nurl = "sqlite:///{tmp_path / "w.db"}"\n'
        f'[report]\ndirectory = "{tmp_path / "reports"}"\n',
        encoding="utf-8",
    )
    proc = run_cli(config, "report", "--date", "2026-11-27", "--send", timeout=60)
    assert "reports" in assert_one_line_error(proc, code=1)


UNEXPECTED = """
import sys, click
from wirewatch.clikit import run_guarded

@click.group()
@click.option("-v", "--verbose", is_flag=True)
def cli(verbose):
    pass

@cli.command()
def boom():
    raise RuntimeError("first line\\nsecond line")

run_guarded(cli, sys.argv[1:], "wirewatch")
"""


@pytest.mark.parametrize("verbose", [False, True])
def test_an_unexpected_error_is_one_line_and_the_traceback_needs_v(verbose: bool) -> None:
    args = ["-v", "boom"] if verbose else ["boom"]
    proc = subprocess.run(
        [sys.executable, "-c", UNEXPECTED, *args], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1
    assert "wirewatch: error: RuntimeError: first line" in proc.stderr
    assert ("Traceback" in proc.stderr) is verbose
    if not verbose:
        assert proc.stderr.count("\n") == 1 and "second line" not in proc.stderr


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in group.commands.items():
        path = (*prefix, name)
        yield path
        if isinstance(command, click.Group):
            yield from _command_paths(command, path)


def test_every_command_is_walked() -> None:
    from wirewatch.cli import cli

    walked = set()
    for _, args in CASES:
        words = [a for a in args if isinstance(a, str) and not a.startswith("-")]
        walked.add(tuple(words[:2]))
        walked.add(tuple(words[:1]))
    missing = [" ".join(p) for p in _command_paths(cli) if p not in walked]
    assert not missing, f"commands without a hostile-argument case: {missing}"


def test_a_backfill_over_centuries_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        f'builtin_sources = false\n[database]\nurl = "sqlite:///{tmp_path / "w.db"}"\n'
        '[[sources]]\nname = "arch"\nfeeds = ["http://127.0.0.1:9/f.xml"]\n'
        'archive = "http://127.0.0.1:9/{date:%Y-%m-%d}.xml"\n',
        encoding="utf-8",
    )
    proc = run_cli(
        config, "backfill", "--source", "arch", "--since", "1900-01-01", "--until", "9998-12-31"
    )
    assert "backfill in parts" in assert_one_line_error(proc, code=2)
