"""`wirewatch sources` and the canary `wirewatch sources check`, against the mock wire site."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.mockwire import MockWire, Route
from tests.test_polling import RSS, article, cli, rss, write_config

PAGE = article("Kuril talks resume", "Officials from Japan and Russia met in Tokyo on Friday.")


def test_canary_reports_what_works_per_source(tmp_path: Path) -> None:
    routes = {
        "/robots.txt": Route(
            body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"
        ),
        "/feed.xml": Route(body=rss(("{base}/news/one.html", "One")), content_type=RSS),
        "/news/one.html": Route(body=PAGE),
        "/garbage.xml": Route(body=b"<html>not a feed</html>"),
        "/nodate.xml": Route(body=rss(("{base}/news/nodate.html", "No date")), content_type=RSS),
        "/news/nodate.html": Route(body=PAGE.replace(b"article:published_time", b"x-nothing")),
        "/private.xml": Route(body=rss(("{base}/private/a.html", "Private")), content_type=RSS),
        "/section/": Route(body=b'<a href="/news/one.html">One</a> <a href="/about">About</a>'),
    }
    with MockWire(routes) as wire:
        config = write_config(
            tmp_path,
            tmp_path / "w.db",
            {
                "good": {"feeds": [wire.url("/feed.xml")], "language": "en"},
                "wrong-language": {"feeds": [wire.url("/feed.xml")], "language": "ja"},
                "garbage": {"feeds": [wire.url("/garbage.xml")]},
                "forbidden": {"feeds": [wire.url("/private.xml")]},
                "listing": {"listings": [wire.url("/section/")], "link_pattern": "/news/"},
            },
        )
        proc = cli(config, "sources", "check", "--format", "json", check=False)
        assert proc.returncode == 1
        got = {r["source"]: r for r in json.loads(proc.stdout)}
        ok = {"discovery": "ok", "extraction": "ok", "date": "ok", "language": "ok"}
        assert {k: got["good"][k] for k in ok} == ok
        assert got["good"]["article"] == wire.url("/news/one.html")
        assert {k: got["listing"][k] for k in ok} == ok
        assert got["wrong-language"]["language"] == "got 'en'"
        assert "not a feed" in got["garbage"]["discovery"]
        assert got["garbage"]["extraction"] == "not run"
        assert "robots.txt" in got["forbidden"]["extraction"]
        assert wire.requested("/private/a.html") == 0

        single = cli(config, "sources", "check", "--source", "good")
        assert "good" in single.stdout and "garbage" not in single.stdout
        unknown = cli(config, "sources", "check", "--source", "nope", check=False)
        assert unknown.returncode == 2 and "unknown source 'nope'" in unknown.stderr


def test_sources_lists_state_in_every_format(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        tmp_path / "w.db",
        {"quiet": {"feeds": ["http://127.0.0.1:9/f.xml"], "enabled": False}},
    )
    rows = json.loads(cli(config, "sources", "--format", "json").stdout)
    assert rows == [
        {
            "source": "quiet", "enabled": "no", "language": None, "last_poll": None,
            "last_status": None, "new_24h": 0, "failed_24h": 0, "failures": 0, "next_poll": None,
            "interval": "15m", "error": None,
        }
    ]  # fmt: skip
    table = cli(config, "sources").stdout
    assert table.splitlines()[0].split()[:4] == ["source", "enabled", "language", "last_poll"]
    assert cli(config, "sources", "--format", "csv").stdout.startswith("source,enabled,")


@pytest.mark.skipif(
    not os.environ.get("WIREWATCH_LIVE"),
    reason="live canary: set WIREWATCH_LIVE=1 (needs the internet)",
)
def test_live_canary_on_the_builtin_sources(tmp_path: Path) -> None:
    config = tmp_path / "live.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "w.db"}"\n', encoding="utf-8")
    proc = cli(config, "sources", "check", "--format", "json", check=False)
    results = json.loads(proc.stdout)
    assert len(results) >= 30  # every enabled built-in source
    working = [r for r in results if r["discovery"] == "ok"]
    assert working, proc.stdout
