"""The shared output formats of the CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from wirewatch.output import render

ROWS: list[dict[str, Any]] = [
    {
        "title": "Курилы, 北方領土",
        "published": datetime(2026, 11, 27, 7, 30, tzinfo=UTC),
        "topics": ["kuril", "peace_treaty"],
        "score": 2.5,
        "snippet": None,
    },
    {"title": 'Quote " and, comma', "published": None, "topics": [], "score": 1.0, "snippet": "x"},
]
COLUMNS = ("title", "published", "topics", "score", "snippet")


def test_json_is_a_list_with_iso_dates_and_unicode() -> None:
    data = json.loads(render(ROWS, "json", COLUMNS))
    assert data[0] == {
        "title": "Курилы, 北方領土",
        "published": "2026-11-27T07:30:00+00:00",
        "topics": ["kuril", "peace_treaty"],
        "score": 2.5,
        "snippet": None,
    }
    assert data[1]["published"] is None


def test_ndjson_is_one_object_per_line() -> None:
    lines = render(ROWS, "ndjson", COLUMNS).splitlines()
    assert [json.loads(line)["score"] for line in lines] == [2.5, 1.0]


def test_csv_round_trips_quotes_and_commas() -> None:
    rows = list(csv.reader(io.StringIO(render(ROWS, "csv", COLUMNS))))
    assert rows[0] == list(COLUMNS)
    assert rows[1][2] == "kuril,peace_treaty"
    assert rows[2][0] == 'Quote " and, comma'


def test_table_aligns_and_clips() -> None:
    text = render([{"title": "x" * 100}], "table", ("title",))
    header, _, row = text.splitlines()
    assert header == "title"
    assert len(row) == 60 and row.endswith("…")


def test_unknown_format_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        render(ROWS, "xml", COLUMNS)
