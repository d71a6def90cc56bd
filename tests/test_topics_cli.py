"""`wirewatch flag FILE|URL|-`: explains the rules on one document (HTML or text)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wirewatch.cli import cli

EVAL = Path(__file__).parent / "fixtures" / "topics_eval"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config with the built-in topics and no sources."""
    path = tmp_path / "w.toml"
    path.write_text(
        f'builtin_sources = false\ndata_dir = "{tmp_path}"\n[crawl]\ntimeout = 5\n',
        encoding="utf-8",
    )
    return path


def run(config: Path, *args: str, stdin: bytes | None = None) -> Any:
    """Run `wirewatch flag` in-process."""
    return CliRunner().invoke(cli, ["--config", str(config), "flag", *args], input=stdin)


def test_flag_html_file_explains_hits_weights_and_verdicts(config: Path) -> None:
    result = run(config, str(EVAL / "ru_pos_both.html"))  # windows-1251
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "kuril (Kuril Islands dispute): FLAGGED; score" in out
    assert "'Южными Курилами'" in out and "term '~Южные ~Курилы' (ru) +1" in out
    assert "relevance: about (" in out
    assert "not counted: inside a longer hit" in out
    assert "snippet: " in out and "[Итуруп]" in out


def test_flag_shows_why_a_topic_failed(config: Path) -> None:
    result = run(config, "--topic", "peace_treaty", str(EVAL / "en_neg_armenia.html"))
    assert result.exit_code == 0, result.output
    assert "peace_treaty (Russia–Japan peace treaty): not flagged" in result.stdout
    assert "not counted: no 'japan' word within 20 words" in result.stdout
    assert "why: group 'japan' (all) has no hit" in result.stdout
    assert "kuril (" not in result.stdout


def test_flag_plain_text_from_stdin_as_json(config: Path) -> None:
    text = (
        "Shikotan port reopens\nFerries to Kunashir resume, with a stop near Severo-Kurilsk."
        " Tours to Kuriles Lake on Kamchatka are full."
    )
    result = run(config, "--format", "json", "-", stdin=text.encode())
    assert result.exit_code == 0, result.output
    data = {d["topic"]: d for d in json.loads(result.stdout)}
    kuril = data["kuril"]
    assert kuril["passed"] and kuril["score"] == 4.0  # title 1 x 2 + text 1 + 1
    assert kuril["relevance"] == "about" and kuril["record"]["relevance"] == "about"
    hits = {(h["term"], h["field"], h["start"]) for h in kuril["hits"]}
    assert ("Shikotan{,e,a}", "title", 0) in hits
    assert ("Kunashir{,i,e,a}", "text", text.split("\n")[1].index("Kunashir")) in hits
    masked = [h for h in kuril["hits"] if h["term"] == "Kuril{s,es}"]
    assert masked[0]["note"] == "inside exclusion 'Kuriles Lake'"
    assert not data["peace_treaty"]["passed"]


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = (EVAL / "ja_pos_missile.html").read_bytes()  # EUC-JP
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=EUC-JP")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def server() -> Iterator[str]:
    """A one-page HTTP server on 127.0.0.1."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/ja/story.html"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_flag_url_fetches_with_get(config: Path, server: str) -> None:
    result = run(config, "--topic", "kuril", server)
    assert result.exit_code == 0, result.output
    assert "kuril (Kuril Islands dispute): FLAGGED" in result.stdout
    assert "'択捉'" in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--topic", "nope", "x.txt"), 2, "unknown topic 'nope'"),
        (("/nonexistent/file.html",), 1, "cannot read /nonexistent/file.html"),
        (("http://127.0.0.1:9/none",), 1, "cannot fetch http://127.0.0.1:9/none"),
    ],
)
def test_flag_bad_input_is_one_line(
    config: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    result = run(config, *args)
    assert result.exit_code == code
    assert message in result.stderr and result.stderr.strip().count("\n") == 0
