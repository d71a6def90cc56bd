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
    reconcile_explained,
)
from wirecore.dates import Written, month_number, parse_datetime_loose, parse_written

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


def ld(data: str) -> str:
    """A JSON-LD script element."""
    return f'<script type="application/ld+json">{data}</script>'


def explained(
    head: str = "", body: str = "", *, feed: datetime | None = None, source_tz: str | None = None
) -> tuple[PublishedTime | None, str]:
    """Reconcile a small page's candidates, with the explanation."""
    candidates = page_time_candidates(page(head, body), source_tz)
    return reconcile_explained(candidates, feed, None, NOW, source_tz=source_tz)


@pytest.mark.parametrize(
    "markup",
    [
        # Yoast: the time is on the WebPage node of the @graph, the Article node has none
        ld(
            '{"@context": "https://schema.org", "@graph": [{"@type": "Article", "headline": "x",'
            ' "isPartOf": {"@id": "#webpage"}}, {"@type": "WebPage", "@id": "#webpage",'
            ' "datePublished": "2026-11-27T10:30:00+03:00",'
            ' "dateModified": "2026-11-28T09:00:00+03:00"}]}'
        ),
        ld(
            '{"@type": "WebPage", "mainEntity": {"@type": "NewsArticle",'
            ' "datePublished": "2026-11-27T07:30:00Z", "dateModified": "2026-11-27T11:00:00Z"}}'
        ),
        ld(
            '[{"@type": "BreadcrumbList"}, {"@type": "CreativeWork",'
            ' "datePublished": "2026-11-27T16:30:00+09:00"}]'
        ),
        ld('{"@type": "ItemPage", "dateCreated": "2026-11-27T10:30:00+0300"}'),
        ld('{"@type": "NewsArticle", "datePublished": {"@value": "2026-11-27T07:30Z"}}'),
        ld('{"@type": "NewsArticle", "datePublished": "2026-11-27T07:30Z",}'),  # broken JSON
    ],
)
def test_jsonld_node_of_any_type(markup: str) -> None:
    """datePublished/dateCreated is read from any node reachable in the JSON-LD."""
    result = published(markup)
    assert result == PublishedTime(at(2026, 11, 27, 7, 30), "jsonld", True)


def test_article_node_preferred_over_webpage() -> None:
    """An article-type node's date is taken, not its WebPage's (often the CMS created date)."""
    markup = ld(
        '{"@graph": [{"@type": "WebPage", "datePublished": "2026-11-27T02:00:00Z"},'
        ' {"@type": "NewsArticle", "datePublished": "2026-11-27T07:30:00Z"}]}'
    )
    assert published(markup) == PublishedTime(at(2026, 11, 27, 7, 30), "jsonld", True)


def test_dates_of_media_and_comments_are_not_the_pages() -> None:
    """An ImageObject's or a Comment's datePublished is never the publication time."""
    markup = ld(
        '{"@graph": [{"@type": "ImageObject", "datePublished": "2019-01-01T00:00:00Z"},'
        ' {"@type": "Comment", "datePublished": "2026-11-28T08:00:00Z"}]}'
    )
    assert published(markup) is None


@pytest.mark.parametrize(
    ("head", "body", "origin"),
    [
        ('<meta property="og:published_time" content="2026-11-27T10:30+03:00">', "", "meta"),
        ('<meta name="parsely-pub-date" content="2026-11-27T07:30:00Z">', "", "meta"),
        ('<meta name="sailthru.date" content="2026-11-27 07:30:00 +0000">', "", "meta"),
        ('<meta name="DC.date" content="2026-11-27T07:30:00Z">', "", "meta"),
        ('<meta name="date" content="2026-11-27T10:30:00+03:00">', "", "meta"),
        ('<meta name="pubdate" content="2026-11-27T07:30Z">', "", "meta"),
        ('<meta itemprop="datePublished" content="2026-11-27T07:30Z">', "", "meta"),
        ("", '<span itemprop="datePublished" content="2026-11-27T07:30Z">27.</span>', "microdata"),
        ("", '<b property="dc:date dc:created" content="2026-11-27T07:30Z"></b>', "microdata"),
        ("", '<div property="schema:datePublished">2026-11-27T07:30Z</div>', "microdata"),
        ("", '<time pubdate datetime="2026-11-27T07:30Z">Friday</time>', "time"),
    ],
)
def test_cms_meta_microdata_and_time_pubdate(head: str, body: str, origin: str) -> None:
    """Each common way of declaring the publication time is read."""
    assert published(head, body) == PublishedTime(at(2026, 11, 27, 7, 30), origin, True)


def test_modified_time_is_never_the_publication_time() -> None:
    """dateModified, article:modified_time and og:updated_time are not candidates."""
    head = (
        '<meta property="article:modified_time" content="2026-11-27T10:30:00Z">'
        '<meta property="og:updated_time" content="2026-11-27T10:30:00Z">'
        + ld('{"@type": "NewsArticle", "dateModified": "2026-11-27T10:30:00Z"}')
    )
    body = '<span itemprop="dateModified" content="2026-11-27T10:30:00Z">x</span>'
    assert page_time_candidates(page(head, body), None) == []


def test_two_agreeing_candidates_beat_one_dissenting() -> None:
    """meta disagrees with JSON-LD and the marked <time>, which agree: theirs is taken."""
    head = '<meta property="article:published_time" content="2026-11-27T12:00:00Z">' + ld(
        '{"@type": "NewsArticle", "datePublished": "2026-11-27T10:30:00+03:00"}'
    )
    body = '<time class="published" datetime="2026-11-27T07:30:00Z">x</time>'
    result, note = explained(head, body)
    assert result == PublishedTime(at(2026, 11, 27, 7, 30), "jsonld", True)
    assert "agreed: time" in note and "outvoted: meta article:published_time" in note


def test_page_and_feed_agreeing_beat_a_more_trusted_page_value() -> None:
    """Two against one holds for the feed too; one against one, the page wins."""
    head = '<meta property="article:published_time" content="2026-11-27T12:00:00Z">'
    body = '<time pubdate datetime="2026-11-27T07:30:00Z">x</time>'
    assert published(head, body, feed=at(2026, 11, 27, 7, 30, 20)).value == at(2026, 11, 27, 7, 30)
    assert published(head, feed=at(2026, 11, 27, 7, 30)).value == at(2026, 11, 27, 12)


def test_agreeing_utc_values_are_not_overridden_by_a_zoned_wall_clock() -> None:
    """Two published_time values agree on an instant; a JSON-LD value showing the same wall
    clock with +04:00 does not move it (it was moved 4 h before)."""
    head = (
        '<meta property="article:published_time" content="2026-11-27T10:30:00Z">'
        '<meta property="og:article:published_time" content="2026-11-27T10:30:00+00:00">'
        + ld('{"@type": "NewsArticle", "datePublished": "2026-11-27T10:30:00+04:00"}')
    )
    assert published(head) == PublishedTime(at(2026, 11, 27, 10, 30), "meta", True)


def test_local_time_without_offset_follows_the_explicit_instant() -> None:
    """A meta time written without an offset, whole hours off an explicit JSON-LD instant,
    is that instant in local time: the explicit one is taken."""
    head = '<meta name="date" content="2026-11-27T05:00:07">' + ld(
        '{"@type": "NewsArticle", "datePublished": "2026-11-27T03:00:07.152Z"}'
    )
    result, note = explained(head)
    assert result == PublishedTime(at(2026, 11, 27, 3, 0, 7), "jsonld", True)
    assert "agreed: meta date" in note


def test_explicit_page_time_beats_a_bare_day_of_another_date() -> None:
    """A day-only meta date (an edition date) does not hide a timed JSON-LD instant."""
    head = '<meta name="date" content="2026-11-27">' + ld(
        '{"@type": "NewsArticle", "datePublished": "2026-11-26T19:30:04+02:00"}'
    )
    assert published(head) == PublishedTime(at(2026, 11, 26, 17, 30, 4), "jsonld", True)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2026-02-30T10:00:00Z", "impossible date"),
        ("99999-01-01T10:00:00Z", "year out of range"),
        ("2026-11-27T10:00:00-25:00", "offset -25:00 out of range"),
        ("2026-11-27T25:00:00Z", "impossible date"),
        ("2031-01-01T10:00:00Z", "in the future"),
        ("1970-01-01T00:00:00Z", "before 1990"),
    ],
)
def test_impossible_dates_are_ignored_with_the_reason(value: str, reason: str) -> None:
    """An unusable meta value is passed over for the next candidate and the note says why."""
    head = f'<meta property="article:published_time" content="{value}">' + ld(
        '{"@type": "NewsArticle", "datePublished": "2026-11-27T07:30:00Z"}'
    )
    result, note = explained(head)
    assert result == PublishedTime(at(2026, 11, 27, 7, 30), "jsonld", True)
    assert "ignored: meta article:published_time" in note and reason in note


def test_only_unusable_dates_give_no_time_and_say_why() -> None:
    """Every candidate unusable: no publication time (never the fetch time), with reasons."""
    head = (
        '<meta property="article:published_time" content="2026-02-30T10:00:00Z">'
        '<meta name="date" content="2099-01-01T10:00:00Z">'
    )
    result, note = explained(head)
    assert result is None
    assert note.startswith("no usable publication time")
    assert "impossible date" in note and "in the future" in note


def test_explanation_names_the_winner() -> None:
    """The note says which candidate was taken, as written."""
    head = '<meta property="article:published_time" content="2026-11-27T10:30:00+03:00">'
    result, note = explained(head, feed=at(2026, 11, 27, 7, 30))
    assert result is not None and result.note == note
    assert note == "meta article:published_time '2026-11-27T10:30:00+03:00'; agreed: feed"


def test_body_is_not_scanned_when_the_head_settles_the_vote() -> None:
    """Two agreeing head values outvote microdata and <time>; a dissenting feed reopens it."""
    head = '<meta property="article:published_time" content="2026-11-27T10:30:00+03:00">' + ld(
        '{"@type": "NewsArticle", "datePublished": "2026-11-27T07:30:00Z"}'
    )
    body = '<time pubdate datetime="2026-11-27T09:00:00Z">x</time>'
    tree = page(head, body)
    settled = page_time_candidates(tree, None, now=NOW)
    assert [c.origin for c in settled] == ["meta", "jsonld"]
    feed = at(2026, 11, 27, 9, 0)
    reopened = page_time_candidates(tree, None, feed_published=feed, now=NOW)
    assert [c.origin for c in reopened] == ["meta", "jsonld", "time"]
    assert reconcile(reopened, feed, None, NOW) == PublishedTime(
        at(2026, 11, 27, 7, 30), "meta", True
    )


@pytest.mark.parametrize(
    ("name", "number"),
    [("Nov", 11), ("ноября", 11), ("мая", 5), ("мае", 5), ("марта", 3), ("juil.", 7),
     ("Sept", 9), ("mai", 5), ("маш", None), ("foo", None)],
)  # fmt: skip
def test_pages_and_feeds_read_months_from_one_table(name: str, number: int | None) -> None:
    assert month_number(name) == number
    written, loose = parse_written(f"27 {name} 2026"), parse_datetime_loose(f"27 {name} 2026")
    if number is None:
        assert isinstance(written, str) and loose is None
    else:
        assert isinstance(written, Written) and written.wall == datetime(2026, number, 27)
        assert loose == datetime(2026, number, 27, tzinfo=UTC)
