"""What every fault-injection test shares: running `wirewatch` for real, configs, checks.

Every test here runs the real command line in a subprocess (or a real Scrapy crawl)
against servers on 127.0.0.1 only, each bounded in requests and time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

RSS = "application/rss+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"
CLI_TIMEOUT = 120.0


def env(**extra: str) -> dict[str, str]:
    """The environment of a child `wirewatch`: no inherited WIREWATCH_* settings."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    return base | extra


def run_cli(
    config: Path | None,
    *args: str | bytes,
    timeout: float = CLI_TIMEOUT,
    stdin: bytes | None = None,
    **popen: Any,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m wirewatch [--config CONFIG] ARGS` to its end; never raises on exit code."""
    head: list[str | bytes] = [sys.executable, "-m", "wirewatch"]
    if config is not None:
        head += ["--config", str(config)]
    proc = subprocess.run(
        [*head, *args],
        capture_output=True,
        input=stdin,
        timeout=timeout,
        env=popen.pop("env", None) or env(),
        **popen,
    )
    return subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def assert_one_line_error(
    proc: subprocess.CompletedProcess[str], *, code: int | None = None
) -> str:
    """The command failed with exactly one `wirewatch: error: ...` line and no traceback."""
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode != 0, (proc.stdout, proc.stderr)
    if code is not None:
        assert proc.returncode == code, (proc.returncode, proc.stderr)
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("wirewatch: error:")]
    assert len(errors) == 1, proc.stderr[-3000:]
    return errors[0]


def assert_no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    """Exit 0, 1 or 2; no traceback; a failure is exactly one `wirewatch: error:` line."""
    assert proc.returncode in (0, 1, 2), (proc.returncode, proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr[-3000:]
    if proc.returncode != 0:
        assert_one_line_error(proc)


def write_config(
    tmp: Path,
    db_url: str,
    sources: dict[str, dict[str, Any]] | None = None,
    **crawl: Any,
) -> Path:
    """A config file with only the given sources and a short-timeout, no-retry crawl."""
    settings = {"timeout": 3.0, "retries": 0, "max_age_days": 100000, "extract_workers": 1}
    settings |= crawl
    lines = [
        "builtin_sources = false",
        f'data_dir = "{tmp / "data"}"',
        "[database]",
        f'url = "{db_url}"',
        "[crawl]",
        *(f"{k} = {json.dumps(v)}" for k, v in settings.items()),
        "[report]",
        'timezone = "UTC"',
        f'directory = "{tmp / "reports"}"',
    ]
    for name, src in (sources or {}).items():
        lines += ["[[sources]]", f'name = "{name}"']
        lines += [f"{k} = {json.dumps(v)}" for k, v in ({"delay": 0} | src).items()]
    path = tmp / "wirewatch.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rows(db_url: str, sql: str, **params: Any) -> list[Any]:
    """Rows of a query against the test database."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params))
    finally:
        engine.dispose()


def running_runs(db_url: str) -> list[Any]:
    """Crawl runs still marked running."""
    return rows(db_url, "SELECT id, owner FROM crawl_runs WHERE status = 'running'")


def article_page(title: str, body: str = "The wire reports on the talks.") -> bytes:
    """A wire article page long enough to be extracted as an article."""
    paragraphs = "".join(
        f"<p>{body} Paragraph {i} adds more detail to the report for the reader.</p>"
        for i in range(6)
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        '<meta property="article:published_time" content="2026-11-27T10:30:00+00:00">'
        f"</head><body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    ).encode()


def rss(items: Sequence[tuple[str, str]], extra: str = "") -> bytes:
    """An RSS 2.0 feed of (link, title) items; ``extra`` is raw XML added as one more item."""
    parts = [
        f"<item><title>{title}</title><link>{link}</link>"
        "<pubDate>Fri, 27 Nov 2026 10:30:00 +0000</pubDate></item>"
        for link, title in items
    ]
    if extra:
        parts.insert(1, extra)
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        + "".join(parts)
        + "</channel></rss>"
    ).encode()


def sitemap_index(*locs: str) -> bytes:
    """A sitemap index listing ``locs``."""
    body = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{body}</sitemapindex>"
    ).encode()


def urlset(*locs: str, raw: str = "") -> bytes:
    """A sitemap listing ``locs`` (plus ``raw`` XML)."""
    body = "".join(f"<url><loc>{loc}</loc></url>" for loc in locs) + raw
    return (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{body}</urlset>"
    ).encode()
