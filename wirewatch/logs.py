"""Logging set-up for the entry points: human-readable lines or JSON lines."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

_NOISY = ("scrapy", "twisted", "py.warnings", "filelock", "urllib3", "alembic")


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


def setup_logging(level: str = "INFO", fmt: str = "text", verbose: bool = False) -> None:
    """Send logs to stderr; quiet Scrapy's per-request chatter unless ``verbose``."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        )
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
