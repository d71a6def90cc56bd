"""The daily report job: ``wirewatch report --date <day that just ended> --send``, once per day.

The day is claimed in ``service_reports`` before the child starts, so two replicas, or a
restart in the middle, never make one day's report twice. A report that fell due while no
service was leading is made when one starts leading again (``catch_up_day``), but only for
days after the first time a service led on this database. A report the service stopped
(SIGTERM) releases its claim and is made again after the restart; one that failed is kept
as ``failed`` and left to the operator (``wirewatch report --date DAY --send``).
"""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from scheduler import state
from scheduler.children import Children, stop_child
from scheduler.settings import ChildCommand, RunConfig
from storage.errors import one_line

logger = logging.getLogger(__name__)

REPORT_TIMEOUT = 3600.0
"""Wall-clock limit of one report child."""


def last_due(config: RunConfig, now: datetime) -> tuple[datetime, date]:
    """The latest report time at or before ``now``, and the local day that report covers."""
    rep = config.report
    local = now.astimezone(ZoneInfo(rep.timezone))
    due = datetime.combine(local.date(), rep.time, ZoneInfo(rep.timezone))
    if due > local:
        due -= timedelta(days=1)
    return due, due.date() - timedelta(days=1)


class ReportJob:
    """Runs the report child for a day and records the outcome."""

    def __init__(
        self,
        config: RunConfig,
        engine: Engine,
        children: Children,
        command: ChildCommand,
        may_start: Callable[[], bool],
        on_done: Callable[[int | None], None],
    ) -> None:
        self.config = config
        self.engine = engine
        self.children = children
        self.command = command
        self.may_start = may_start
        self.on_done = on_done
        self.stopping = threading.Event()

    def __call__(self, day: str | None = None) -> None:
        """Make the report of ``day`` (default: the day the latest report time closed)."""
        the_day = date.fromisoformat(day) if day else last_due(self.config, _now())[1]
        if self.stopping.is_set() or not self.may_start():
            return
        try:
            if not state.claim_report(self.engine, the_day):
                logger.info("report for %s was already made; not again", the_day)
                return
        except SQLAlchemyError as err:
            logger.error("report for %s not started: database: %s", the_day, one_line(err))
            return
        cmd = self.command.report(the_day.isoformat())
        logger.info("daily report for %s: running %s", the_day, " ".join(cmd[1:]))
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, start_new_session=True)
        self.children.add("report", proc)
        try:
            code: int | None = proc.wait(timeout=REPORT_TIMEOUT)
        except subprocess.TimeoutExpired:
            code = stop_child(proc, self.config.service.stop_grace)
        finally:
            self.children.remove("report")
        if self.stopping.is_set() and code != 0:
            code = None  # stopped by the shutdown: release the claim, make it after restart
        error = None if not code else f"report process exited with code {code}"
        try:
            state.finish_report(self.engine, the_day, code, error)
        except SQLAlchemyError as err:
            logger.error("could not record report %s: %s", the_day, one_line(err))
        level = logging.INFO if code == 0 else logging.WARNING
        logger.log(level, "daily report for %s finished: exit code %s", the_day, code)
        self.on_done(code)

    def catch_up_day(self, first_led: datetime) -> date | None:
        """The day whose report fell due while no service led, if it was not made."""
        due, day = last_due(self.config, _now())
        if due < first_led or state.report_claimed(self.engine, day):
            return None
        return day


def _now() -> datetime:
    return datetime.now(UTC)
