"""The HTML report in headless Chromium: it renders, shows the chart, and runs no script.

Skipped when ``chromium`` is not installed, unless ``WIREWATCH_REQUIRE_CHROMIUM=1``
(CI), which makes that a failure. The screenshot is kept in ``test-artifacts/``.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from reports.build import build_report
from reports.chart import trend_svg
from reports.render import render_report, svg_data_uri
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from tests.test_report_data import DAY, SOURCES, TOPICS, TZ, fill

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        reason = "chromium is not installed (apt-get install chromium)"
        if os.environ.get("WIREWATCH_REQUIRE_CHROMIUM") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return found


def _browse(
    chromium: str, tmp_path: Path, page: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *extra, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_html_report_renders_with_chart_and_no_script(tmp_path: Path) -> None:
    chromium = _chromium()
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            fill(session)
            data = build_report(session, DAY, TZ, TOPICS, SOURCES)
    finally:
        engine.dispose()
    page = tmp_path / "report.html"
    page.write_text(
        render_report(data, "html", chart_src=svg_data_uri(trend_svg(data))), encoding="utf-8"
    )
    dom = _browse(chromium, tmp_path, page, "--dump-dom").stdout
    assert "<title>wirewatch daily report: 2026-11-27</title>" in dom
    assert '<img id="trend-chart" src="data:image/svg+xml;base64,' in dom
    assert "<script" not in dom  # the scraped <script> stays text: &lt;script&gt;
    assert "&lt;script&gt;alert('title')&lt;/script&gt; Kuril" in dom
    assert "onerror=" not in dom.replace("onerror=alert(1)&gt;", "").replace(
        "onerror=alert(2)&gt;", ""
    )
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-2026-11-27.png"
    shot.unlink(missing_ok=True)
    _browse(chromium, tmp_path, page, "--window-size=800,1600", f"--screenshot={shot}")
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (800, 1600)
    assert len(png) > 20_000  # a rendered page with text and a chart, not a blank one
