"""Pure helpers of the site: marked hits, safe links, XML text, CSV cells, cursors."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from storage.browse import Cursor
from web.params import BadRequest, decode_cursor, encode_cursor, list_query
from web.text import csv_cell, marked, paragraphs, safe_href, xml_text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://tass.com/a", "https://tass.com/a"),
        ("http://x.org/?q=1", "http://x.org/?q=1"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        (" javascript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("data:text/html,<script>", None),
        ("//evil.example/x", None),
        ("https:///nohost", None),
        ("vbscript:x", None),
        ("", None),
    ],
)
def test_only_http_links(url: str, expected: str | None) -> None:
    assert safe_href(url) == expected


def test_marked_merges_overlaps_and_ignores_bad_offsets() -> None:
    text = "the southern Kuril Islands and Kurils"
    hits = [
        (13, 26, "Kuril Islands"),
        (4, 26, "southern Kuril Islands"),
        (31, 37, "Kurils"),
        (30, 99, "bad"),
        (5, 2, "bad"),
    ]
    assert marked(text, hits) == [
        ("the ", None),
        ("southern Kuril Islands", "southern Kuril Islands"),
        (" and ", None),
        ("Kurils", "Kurils"),
    ]


def test_paragraphs_split_hits_across_lines() -> None:
    segments = marked("one\n\ntwo Kuril\nIslands end", [(9, 22, "t")])
    assert paragraphs(segments) == [
        [("one", None)],
        [("two ", None), ("Kuril", "t")],
        [("Islands", "t"), (" end", None)],
    ]


def test_xml_text_drops_what_xml_forbids() -> None:
    assert xml_text("a\x00b\x0bc\x1fd\ud800e\uffff\tf\n") == "abcde\tf\n"


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1"])
def test_csv_formula_cells_are_quoted(cell: str) -> None:
    assert csv_cell(cell) == "'" + cell
    assert csv_cell(["a", "b"]) == "a,b" and csv_cell(None) == ""


def test_cursors_round_trip_and_reject_forgeries() -> None:
    for cursor in (Cursor(datetime(2026, 11, 27, 9, 30, tzinfo=UTC), 42), Cursor(None, 7)):
        assert decode_cursor(encode_cursor(cursor)) == cursor
    for bad in ("", "!!", "MTIz", "bm90LWEtY3Vyc29y", encode_cursor(Cursor(None, 1))[:-2] + "x"):
        with pytest.raises(BadRequest, match="cursor: not a cursor of this site"):
            decode_cursor(bad or "=")


def test_dates_are_days_in_the_site_zone() -> None:
    tz = ZoneInfo("Asia/Tokyo")
    q = list_query(
        {"since": ["2026-11-27"], "until": ["2026-11-27"]}, tz=tz, topics={}, page_size=20
    )
    assert q.since == datetime(2026, 11, 26, 15, tzinfo=UTC)
    assert q.until == datetime(2026, 11, 27, 15, tzinfo=UTC)
    assert q.limit == 20


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("since", "0001-01-01", "since: date out of range"),
        ("until", "9999-12-31", "until: date out of range"),
        ("since", "yesterday", "since: not a date"),
        ("until", "2026-11-27T10:00+25:00", "until: not a date"),
    ],
)
def test_dates_out_of_range_or_malformed_are_bad_requests(
    name: str, value: str, message: str
) -> None:
    with pytest.raises(BadRequest, match=message):
        list_query({name: [value]}, tz=ZoneInfo("Asia/Tokyo"), topics={}, page_size=20)
