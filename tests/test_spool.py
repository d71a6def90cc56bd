"""The local spool of records a crawl could not write: round trip, claims, bad lines."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from pipelines import spool
from storage.records import ArticleRecord, FailureRecord, MatchRecord

WHEN = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)


def _records() -> list[ArticleRecord | FailureRecord]:
    match = MatchRecord("kuril", 2.5, {"Kuril": 2}, [{"term": "Kuril", "start": 0}], "s", [(0, 5)])
    article = ArticleRecord(
        url="https://wire.example/a",
        source="wire",
        title="Tíτλος — 北方領土",
        author=None,
        published=WHEN,
        published_origin="meta",
        language="ja",
        sitename=None,
        text="line one\nline two\x00",
        content_hash="0" * 64,
        fetched_at=WHEN,
        matches=(match,),
        simhash=-(2**63),
    )
    failure = FailureRecord("wire", "https://wire.example/b", "download", "HTTP 500", 500, WHEN)
    return [article, failure]


def test_records_round_trip(tmp_path: Path) -> None:
    path = spool.spool(tmp_path, "run-1-1", _records())
    assert spool.load([path]) == _records()


def test_a_file_is_claimed_once_and_released(tmp_path: Path) -> None:
    spool.spool(tmp_path, "run-1-1", _records())
    first = spool.claim(tmp_path)
    assert len(first) == 1 and spool.claim(tmp_path) == []
    spool.release(first)
    assert list(tmp_path.iterdir()) == []


def test_a_claim_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    path = spool.spool(tmp_path, "run-2-2", _records())
    path.rename(tmp_path / f"{path.name}{spool.CLAIMED}{dead}")
    (claimed,) = spool.claim(tmp_path)
    assert spool.load([claimed]) == _records()


def test_a_file_being_written_is_not_claimed(tmp_path: Path) -> None:
    (tmp_path / ".run-3-3.jsonl.tmp").write_text("{", encoding="utf-8")
    assert spool.claim(tmp_path) == []


def test_unreadable_lines_are_skipped(tmp_path: Path) -> None:
    path = spool.spool(tmp_path, "run-4-4", _records())
    path.write_text(path.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    assert spool.load([path]) == _records()


def test_keep_says_where_records_went(tmp_path: Path) -> None:
    message, path = spool.keep(tmp_path, "run-5-5", _records(), "database or disk is full")
    assert path is not None and path.exists()
    assert message.startswith("2 records could not be written (database or disk is full)")
    message, path = spool.keep(None, "x", _records(), None)
    assert path is None and "fetches them again" in message
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")
    message, path = spool.keep(blocked, "x", _records(), None)
    assert path is None and message.endswith(": lost")
