"""The daily report job: run at ``[report] time`` in ``[report] timezone`` for the local day
that just ended, and, after a restart, a report that fell due while the service was down
runs exactly once (state persisted in ``service_reports``)."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from scheduler.report_job import last_due
from tests.test_service_support import ServiceProcess, query, write_config
from wirewatch.config import build_config

pytestmark = pytest.mark.e2e

TZ = "Asia/Tokyo"


def due_in(seconds: float) -> tuple[str, date, float]:
    """A report time ``seconds`` from now (HH:MM:SS in TZ), the day it covers, its epoch."""
    due = datetime.now(UTC) + timedelta(seconds=seconds)
    local = due.astimezone(ZoneInfo(TZ)).replace(microsecond=0)
    return local.strftime("%H:%M:%S"), local.date() - timedelta(days=1), local.timestamp()


def report_commands(log: str) -> list[str]:
    """The days of the report commands the service ran."""
    return re.findall(r"report --date (\d{4}-\d{2}-\d{2}) --send", log)


def start(tmp_path: Path, name: str, db: str, at: str) -> ServiceProcess:
    config = write_config(tmp_path / f"{name}.toml", db, [], report={"time": at, "timezone": TZ})
    config.write_text("builtin_topics = false\n" + config.read_text(), encoding="utf-8")
    svc = ServiceProcess(config, tmp_path / f"{name}.log")
    try:
        svc.wait_for(lambda: "leading the schedule" in svc.log, 30, "no leader")
    except BaseException:
        svc.kill()
        raise
    return svc


def report_rows(db: str) -> list[tuple[object, ...]]:
    return query(db, "select day, status, started_at from service_reports")


def test_report_runs_at_its_local_time(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ontime.db'}"
    at, day, due = due_in(8)
    svc = start(tmp_path, "ontime", db, at)
    try:
        svc.wait_for(lambda: report_commands(svc.log), 30, "no report at its time")
        started = time.time()
        svc.wait_for(lambda: report_rows(db) and report_rows(db)[0][1] != "running", 60, "hung")
        code, _ = svc.stop()
    finally:
        svc.kill()
    assert code == 0
    assert report_commands(svc.log) == [day.isoformat()]
    assert due - 0.5 <= started <= due + 6
    assert [r[0] for r in report_rows(db)] == [day.isoformat()]


def test_report_due_while_down_runs_once_after_restart(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'catchup.db'}"
    at, day, due = due_in(7)
    first = start(tmp_path, "first", db, at)
    try:
        assert first.stop()[0] == 0
    finally:
        first.kill()
    assert not report_commands(first.log)
    time.sleep(max(0.0, due + 1 - time.time()))
    logs = []
    for name in ("second", "third"):
        svc = start(tmp_path, name, db, at)
        try:
            if name == "second":
                svc.wait_for(lambda: report_rows(db), 30, "the missed report was not made")
                svc.wait_for(lambda: report_rows(db)[0][1] != "running", 60, "report hung")
            else:
                time.sleep(2)
            assert svc.stop()[0] == 0
        finally:
            svc.kill()
        logs.append(svc.log)
    assert report_commands(logs[0]) == [day.isoformat()]
    assert "fell due while no service ran" in logs[0]
    assert report_commands(logs[1]) == []
    assert [r[0] for r in report_rows(db)] == [day.isoformat()]


@pytest.mark.parametrize(
    ("now", "expected_day"),
    [
        ("2026-03-10T21:59:00+00:00", "2026-03-09"),  # 06:59 in Tokyo: not yet due today
        ("2026-03-10T22:00:00+00:00", "2026-03-10"),  # 07:00 in Tokyo on the 11th
        ("2026-03-11T03:00:00+00:00", "2026-03-10"),
    ],
)
def test_last_due_is_the_local_day_that_ended(now: str, expected_day: str) -> None:
    config = build_config(
        {"builtin_sources": False, "report": {"time": "07:00", "timezone": TZ}},
        where="test",
        path=None,
        env={},
    )
    due, day = last_due(config, datetime.fromisoformat(now))
    assert day.isoformat() == expected_day
    assert due <= datetime.fromisoformat(now)
