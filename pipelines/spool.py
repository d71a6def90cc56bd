"""The local spool: records a crawl fetched but could not write to the database.

When the database is gone (or its disk full) at the end of a crawl, the articles and
failures still buffered are written here, one JSON object a line, in
``<data_dir>/spool/run-<id>-<pid>.jsonl``; the next crawl (or poll) that opens the
database claims the files (an atomic rename, so two crawls never replay one file),
writes their records first and deletes the files once they are stored. Feed polling
state is not spooled: a feed whose state was not written is simply polled again.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from storage.records import ArticleRecord, FailureRecord, MatchRecord

logger = logging.getLogger(__name__)

CLAIMED = ".claimed-"


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$dt"}:
            return datetime.fromisoformat(value["$dt"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def record_line(record: ArticleRecord | FailureRecord) -> str:
    """One spool line for an article or a failure."""
    kind = "article" if isinstance(record, ArticleRecord) else "failure"
    return json.dumps({"kind": kind, "record": _encode(asdict(record))}, ensure_ascii=False)


def parse_line(line: str) -> ArticleRecord | FailureRecord:
    """The record a spool line holds."""
    data = json.loads(line)
    fields = _decode(data["record"])
    if data["kind"] == "failure":
        return FailureRecord(**fields)
    fields["matches"] = tuple(
        MatchRecord(**m | {"snippet_hits": [tuple(h) for h in m.get("snippet_hits", [])]})
        for m in fields.get("matches", ())
    )
    return ArticleRecord(**fields)


def spool(directory: Path, name: str, records: list[ArticleRecord | FailureRecord]) -> Path:
    """Write ``records`` to a new spool file (fsynced); raises ``OSError`` when it cannot."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.jsonl"
    tmp = directory / f".{name}.jsonl.tmp"
    with tmp.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(record_line(record) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    return path


def keep(
    directory: Path | None,
    name: str,
    records: list[ArticleRecord | FailureRecord],
    why: str | None,
) -> tuple[str, Path | None]:
    """Spool ``records`` that could not be written; (one-line account, spool file or None)."""
    what = f"{len(records)} records could not be written ({why or 'unknown error'})"
    if directory is None:
        return f"{what}; not kept (no spool directory); the next poll fetches them again", None
    try:
        path = spool(directory, name, records)
    except OSError as err:
        logger.error("cannot spool %d records: %s", len(records), err.strerror or err)
        return f"{what}; spooling failed too ({err.strerror or err}): lost", None
    logger.error("%s; spooled to %s for the next crawl", what, path)
    return f"{what}; spooled to {path} for the next crawl", path


def claim(directory: Path) -> list[Path]:
    """Take every spool file no live process has claimed; returns the claimed paths."""
    if not directory.is_dir():
        return []
    mine = f"{CLAIMED}{os.getpid()}"
    claimed = []
    for path in sorted(directory.glob("*.jsonl*")):
        if path.name.startswith("."):  # a spool file still being written
            continue
        base, _, owner = path.name.partition(CLAIMED)
        if owner and owner.isdigit() and _alive(int(owner)):
            continue
        target = directory / f"{base}{mine}"
        try:
            path.rename(target)
        except OSError:  # another crawl took it first
            continue
        claimed.append(target)
    return claimed


def load(paths: list[Path]) -> list[ArticleRecord | FailureRecord]:
    """The records of claimed spool files; unreadable lines are logged and skipped."""
    records: list[ArticleRecord | FailureRecord] = []
    for path in paths:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as err:
            logger.error("cannot read spool file %s: %s", path, err.strerror or err)
            continue
        for number, line in enumerate(lines, 1):
            try:
                records.append(parse_line(line))
            except (ValueError, KeyError, TypeError) as err:
                logger.error("spool file %s line %d unreadable, skipped: %s", path, number, err)
    return records


def release(paths: list[Path]) -> None:
    """Delete spool files whose records are stored (or spooled again)."""
    for path in paths:
        path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
