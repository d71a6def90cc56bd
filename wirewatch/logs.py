"""Logging set-up for the entry points: human-readable lines or JSON lines."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from wirecore.logcontext import CURRENT_RUN

_NOISY = ("scrapy", "twisted", "py.warnings", "filelock", "urllib3", "alembic", "apscheduler")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and run_id when set)."""

    def format(self, record: logging.LogRecord) -> str:
        """Render one record as a JSON line."""
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        run_id = getattr(record, "run_id", None)
        if run_id is not None:
            data["run_id"] = run_id
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``HH:MM:SS LEVEL logger: message``, with ``[run N]`` before the message when set."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        """Render one record as a line of text."""
        line = super().format(record)
        run_id = getattr(record, "run_id", None)
        if run_id is None:
            return line
        head, sep, tail = line.partition(f"{record.name}: ")
        return f"{head}{sep}[run {run_id}] {tail}" if sep else f"[run {run_id}] {line}"


class RunIdFilter(logging.Filter):
    """Stamps the crawl run id on every record that does not carry one already."""

    def __init__(self, run_id: int | None = None) -> None:
        super().__init__()
        self.run_id = run_id

    def filter(self, record: logging.LogRecord) -> bool:
        """Add ``run_id`` (fixed, or the current task's) to the record; never drop it."""
        if getattr(record, "run_id", None) is None:
            run_id = self.run_id if self.run_id is not None else CURRENT_RUN.get()
            if run_id is not None:
                record.run_id = run_id
        return True


def setup_logging(
    level: str = "INFO", fmt: str = "text", verbose: bool = False, run_id: int | None = None
) -> None:
    """Send logs to stderr; quiet Scrapy's per-request chatter unless ``verbose``.

    With ``run_id`` (a crawl child of the service), every line carries that run id.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RunIdFilter(run_id))
    handler.setLevel(level)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_libraries(level, verbose)


def quiet_libraries(level: str, verbose: bool = False) -> None:
    """Keep Scrapy's per-request lines out of the log (Scrapy resets them when a crawl starts)."""
    root = logging.getLogger()
    root.setLevel(level)
    if verbose:
        return
    quiet = max(logging.WARNING, logging.getLevelName(level))
    for name in _NOISY:
        logging.getLogger(name).setLevel(quiet)
    logging.getLogger("scrapy.extensions.logstats").setLevel(level)
    # a robots.txt that cannot be fetched is logged with a full traceback; the feed
    # request that follows fails too and is recorded as a one-line failure
    logging.getLogger("scrapy.downloadermiddlewares.robotstxt").setLevel(logging.CRITICAL)
