"""`wirewatch report` on the command line: formats, output file, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reports.text import md_escape, safe_url, snippet_parts
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from tests.test_report_data import TZ, fill
from wirewatch.cli import cli


@pytest.fixture
def config(tmp_path: Path) -> Path:
    db = tmp_path / "w.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        fill(session)
    engine.dispose()
    path = tmp_path / "w.toml"
    path.write_text(
        f'builtin_sources = false\ndata_dir = "{tmp_path}"\n'
        f'[database]\nurl = "sqlite:///{db}"\n[report]\ntimezone = "{TZ}"\n',
        encoding="utf-8",
    )
    return path


def _run(config: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), "report", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--date", "2026-02-30"), "--date: not a date (YYYY-MM-DD): '2026-02-30'"),
        (("--date", "yesterday"), "--date: not a date"),
        (("--topic", "nope"), "unknown topic 'nope'"),
        (("--format", "pdf"), "Invalid value for '--format'"),
        (
            ("--send", "--topic", "kuril"),
            "--send writes the whole day's report; it takes no --topic",
        ),
    ],
)
def test_bad_input_is_a_one_line_error(config: Path, args: tuple[str, ...], message: str) -> None:
    code, out, err = _run(config, *args)
    assert code == 2
    assert message in err
    assert out == ""
    if "Invalid value" not in message:  # click's own usage errors carry a usage line
        assert err.strip().count("\n") == 0 and "Traceback" not in err


def test_topic_filter_and_formats(config: Path, tmp_path: Path) -> None:
    code, out, _ = _run(config, "--date", "2026-11-27", "--topic", "peace_treaty")
    assert code == 0
    assert "## peace_treaty: 1 article(s)" in out and "## kuril" not in out
    code, out, _ = _run(config, "--date", "2026-11-27", "--format", "csv")
    assert code == 0 and out.startswith("date,topic,story,")
    target = tmp_path / "out" / "day.html"
    code, out, err = _run(
        config, "--date", "2026-11-27", "--format", "html", "--output", str(target)
    )
    assert code == 0 and out == "" and f"wrote {target}" in err
    html = target.read_text(encoding="utf-8")
    assert '<img id="trend-chart" src="data:image/svg+xml;base64,' in html
    first = html
    _run(config, "--date", "2026-11-27", "--format", "html", "--output", str(target))
    assert target.read_text(encoding="utf-8") == first  # regenerating is byte-identical


def test_snippet_parts_marks_merged_hits_and_tolerates_bad_offsets() -> None:
    assert snippet_parts("abcdef", [[1, 3], [2, 4], [10, 12], [5, 5]]) == [
        ("a", False),
        ("bcd", True),
        ("ef", False),
    ]
    assert snippet_parts("", []) == []


def test_only_http_links_are_links() -> None:
    assert safe_url("https://tass.com/a?b=1") == "https://tass.com/a?b=1"
    for bad in (
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,x",
        "//x.org/",
        'https://x.org/"onmouseover="a',
        "https://x.org/<script>",
    ):
        assert safe_url(bad) is None, bad
    assert md_escape("a *b* [c](d) <e>\n f") == "a \\*b\\* \\[c\\](d) \\<e\\> f"
