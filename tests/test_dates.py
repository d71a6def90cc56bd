"""Publication time: parsing written dates, collecting page candidates, reconciling them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import lxml.html
import pytest

from pipelines.dates import (
    Candidate,
    PublishedTime,
    page_time_candidates,
    parse_datetime,
    reconcile,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """An aware UTC datetime."""
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


def page(head: str = "", body: str = "") -> lxml.html.HtmlElement:
    """A parsed page around the given head and body markup."""
    return lxml.html.fromstring(f"<html><head>{head}</head><body>{body}<p>x</p></body></html>")


def published(
    head: str = "",
    body: str = "",
    *,
    feed: datetime | None = None,
    day: date | None = None,
    source_tz: str | None = None,
) -> PublishedTime | None:
    """Reconcile the candidates of a small page with an optional feed time and page day."""
    candidates = page_time_candidates(page(head, body), source_tz)
    return reconcile(candidates, feed, day, NOW, source_tz=source_tz)


@pytest.mark.parametrize(
    ("text", "tz", "expected", "has_time"),
    [
        ("2026-11-27T10:30:00+03:00", None, at(2026, 11, 27, 7, 30), True),
        ("2026-11-27T10:30:00.123+0900", None, at(2026, 11, 27, 1, 30), True),
        ("2026-11-27T10:30Z", "Asia/Tokyo", at(2026, 11, 27, 10, 30), True),
        ("2026-11-27 10:30", None, at(2026, 11, 27, 10, 30), True),
        ("2026-11-27 10:30", "Europe/Moscow", at(2026, 11, 27, 7, 30), True),
        ("2026-11-27T10:30:00", "Asia/Tokyo", at(2026, 11, 27, 1, 30), True),
        ("2026-11-27", "Asia/Tokyo", at(2026, 11, 27), False),
        ("20261127T1030", "Europe/Moscow", at(2026, 11, 27, 7, 30), True),
        ("20261127T103000+0300", None, at(2026, 11, 27, 7, 30), True),
        ("20261127T1030Z", "Asia/Tokyo", at(2026, 11, 27, 10, 30), True),
        ("Fri, 27 Nov 2026 10:30:00 +0300", None, at(2026, 11, 27, 7, 30), True),
        ("Fri, 27 Nov 2026 10:30:00 GMT", "Asia/Tokyo", at(2026, 11, 27, 10, 30), True),
        ("2026年11月27日 10時30分", "Asia/Tokyo", at(2026, 11, 27, 1, 30), True),
        ("2026年11月27日 10:30", "Asia/Tokyo", at(2026, 11, 27, 1, 30), True),
        ("２０２６年１１月２７日（金）　１０：３０", "Asia/Tokyo", at(2026, 11, 27, 1, 30), True),
        ("2026年11月27日 午後3時05分", "Asia/Tokyo", at(2026, 11, 27, 6, 5), True),
        ("2026年11月27日", "Asia/Tokyo", at(2026, 11, 27), False),
        ("27 ноября 2026, 10:30", "Europe/Moscow", at(2026, 11, 27, 7, 30), True),
        ("27 мая 2026 г. в 9:05", "Europe/Moscow", at(2026, 5, 27, 6, 5), True),
        ("3 марта 2026 года, 23:10", "Europe/Moscow", at(2026, 3, 3, 20, 10), True),
        ("27 ноября 2026", "Europe/Moscow", at(2026, 11, 27), False),
        ("10:30 27.11.2026", "Europe/Moscow", at(2026, 11, 27, 7, 30), True),
        ("November 27, 2026 10:30 PM", None, at(2026, 11, 27, 22, 30), True),
    ],
)
def test_parse_datetime(text: str, tz: str | None, expected: datetime, has_time: bool) -> None:
    """Written dates parse to aware UTC, naive ones read in the source's zone."""
    assert parse_datetime(text, tz) == (expected, has_time)


@pytest.mark.parametrize(
    "text", ["", "yesterday", "2026-13-45", "31 февраля 2026", "20261127", "20261127T2530"]
)
def test_parse_datetime_rejects_garbage(text: str) -> None:
    """Unreadable or impossible dates give None rather than an exception."""
    assert parse_datetime(text, None) is None


def test_unknown_time_zone_is_an_error() -> None:
    """A misconfigured source zone is reported, not silently treated as UTC."""
    with pytest.raises(ValueError, match="Mars/Olympus"):
        parse_datetime("2026-11-27 10:30", "Mars/Olympus")


def test_meta_with_moscow_offset() -> None:
    """article:published_time with +03:00 becomes the right UTC instant."""
    meta = '<meta property="article:published_time" content="2026-11-27T10:30:00+03:00">'
    assert published(meta) == PublishedTime(at(2026, 11, 27, 7, 30), "meta", True)


def test_meta_in_basic_format_read_in_source_zone() -> None:
    """RIA Novosti writes article:published_time as 20261127T1030, Moscow time, no offset."""
    meta = '<meta property="article:published_time" content="20261127T1030">'
    expected = PublishedTime(at(2026, 11, 27, 7, 30), "meta", True)
    assert published(meta, source_tz="Europe/Moscow") == expected


def test_jsonld_graph_with_tokyo_offset() -> None:
    """datePublished of a NewsArticle inside @graph, +09:00."""
    ld = (
        '<script type="application/ld+json">{"@graph": [{"@type": "WebPage",'
        ' "datePublished": "2020-01-01"}, {"@type": ["NewsArticle"],'
        ' "datePublished": "2026-11-27T10:30:00+09:00"}]}</script>'
    )
    assert published(ld) == PublishedTime(at(2026, 11, 27, 1, 30), "jsonld", True)


def test_jsonld_list_and_broken_script() -> None:
    """A top-level list is walked; unparseable JSON-LD is skipped."""
    ld = (
        '<script type="application/ld+json">{not json</script>'
        '<script type="application/ld+json">[{"@type": "ReportageNewsArticle",'
        ' "datePublished": "2026-11-27T10:30:00Z"}]</script>'
    )
    assert published(ld) == PublishedTime(at(2026, 11, 27, 10, 30), "jsonld", True)


def test_time_element_prefers_publish_marker() -> None:
    """<time itemprop=datePublished> beats an earlier unmarked <time>."""
    body = (
        '<article><time datetime="2026-11-20T08:00:00Z">old</time>'
        '<time itemprop="datePublished" datetime="2026-11-27T09:15:00+01:00">x</time></article>'
    )
    assert published(body=body) == PublishedTime(at(2026, 11, 27, 8, 15), "time", True)


def test_time_element_text_in_russian() -> None:
    """A <time> without datetime is read from its text, in the source's zone."""
    body = '<time class="article-publish-date">27 ноября 2026, 10:30</time>'
    result = published(body=body, source_tz="Europe/Moscow")
    assert result == PublishedTime(at(2026, 11, 27, 7, 30), "time", True)


@pytest.mark.parametrize(
    ("tz", "expected"),
    [("Europe/Moscow", at(2026, 11, 27, 7, 30)), ("Asia/Tokyo", at(2026, 11, 27, 1, 30))],
)
def test_naive_meta_read_in_source_zone(tz: str, expected: datetime) -> None:
    """A meta time without offset is local time of the source."""
    meta = '<meta name="pubdate" content="2026-11-27T10:30:00">'
    assert published(meta, source_tz=tz) == PublishedTime(expected, "meta", True)


def test_meta_beats_jsonld_and_time() -> None:
    """The most trusted candidate with a time wins."""
    head = (
        '<meta property="article:published_time" content="2026-11-27T10:30:00+03:00">'
        '<script type="application/ld+json">{"@type": "NewsArticle",'
        ' "datePublished": "2026-11-27T11:00:00+03:00"}</script>'
    )
    result = published(head, '<time datetime="2026-11-26T10:00:00Z">x</time>')
    assert result is not None and result.origin == "meta"


def test_day_only_meta_takes_feed_time_of_same_day() -> None:
    """A day-only meta date is completed by the feed's time on that local day."""
    meta = '<meta property="article:published_time" content="2026-11-27">'
    feed = at(2026, 11, 26, 23, 45)  # 02:45 on the 27th in Moscow
    result = published(meta, feed=feed, source_tz="Europe/Moscow")
    assert result == PublishedTime(feed, "feed", True)


def test_day_only_meta_keeps_its_day_when_feed_disagrees() -> None:
    """A feed time on another day does not override a more trusted day."""
    meta = '<meta property="article:published_time" content="2026-11-27">'
    result = published(meta, feed=at(2026, 11, 25, 9, 0))
    assert result == PublishedTime(at(2026, 11, 27), "meta", False)


def test_meta_wins_over_disagreeing_feed() -> None:
    """When page and feed disagree, the page's meta time wins."""
    meta = '<meta property="article:published_time" content="2026-11-27T10:30:00+03:00">'
    result = published(meta, feed=at(2026, 11, 27, 12, 0))
    assert result == PublishedTime(at(2026, 11, 27, 7, 30), "meta", True)


def test_future_page_time_is_ignored() -> None:
    """A page time more than two days after the fetch falls back to the feed."""
    meta = '<meta property="article:published_time" content="2026-12-05T10:30:00Z">'
    result = published(meta, feed=at(2026, 11, 28, 9, 0))
    assert result == PublishedTime(at(2026, 11, 28, 9, 0), "feed", True)


def test_slightly_future_time_is_kept() -> None:
    """Clock skew of a day is tolerated."""
    meta = '<meta property="article:published_time" content="2026-11-29T10:30:00Z">'
    assert published(meta) == PublishedTime(at(2026, 11, 29, 10, 30), "meta", True)


def test_unzoned_time_takes_offset_from_same_wall_clock_candidate() -> None:
    """A meta time without offset and a JSON-LD one with it, same wall clock: JSON-LD's instant."""
    head = (
        '<meta name="date" content="2026-11-27T17:23:42">'
        '<script type="application/ld+json">{"@type": "NewsArticle",'
        ' "datePublished": "2026-11-27T17:23:42.981+01:00"}</script>'
    )
    assert published(head) == PublishedTime(at(2026, 11, 27, 16, 23, 42), "jsonld", True)


def test_page_date_is_last_resort() -> None:
    """Only the day trafilatura found: day-only result at midnight UTC of that day."""
    result = reconcile([], None, date(2026, 11, 27), NOW)
    assert result == PublishedTime(at(2026, 11, 27), "page-date", False)


def test_naive_feed_time_is_read_in_source_zone() -> None:
    """A feed time without tzinfo is local time of the source."""
    result = reconcile([], datetime(2026, 11, 27, 10, 30), None, NOW, source_tz="Asia/Tokyo")
    assert result == PublishedTime(at(2026, 11, 27, 1, 30), "feed", True)


def test_nothing_found() -> None:
    """No candidates at all gives None."""
    assert reconcile([], None, None, NOW) is None
    assert page_time_candidates(page(), None) == []


def test_candidates_are_ordered_by_trust() -> None:
    """meta, then JSON-LD, then <time>."""
    head = (
        '<script type="application/ld+json">{"@type": "Article",'
        ' "datePublished": "2026-11-27T10:00:00Z"}</script>'
        '<meta name="publishdate" content="2026-11-27T09:00:00Z">'
    )
    found = page_time_candidates(page(head, '<article><time datetime="2026-11-27">x</time>'), None)
    assert [c.origin for c in found] == ["meta", "jsonld", "time"]
    assert isinstance(found[0], Candidate)
