"""store_articles, runs and failures, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import writes
from storage.errors import StorageError
from storage.models import Article, ArticleVersion, CrawlRun, Source, TopicMatch
from storage.queries import (
    ArticleFilter,
    failures_between,
    find_articles,
    run_counts,
)
from storage.records import FailureRecord, SourceCounts
from tests.conftest import article, match, utc


def _count(session: Session, model: type) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def _get(session: Session, url: str) -> Article:
    stmt = select(Article).where(Article.url == url).execution_options(populate_existing=True)
    return session.execute(stmt).scalar_one()


def _topics(session: Session, url: str) -> dict[str, tuple[int, float]]:
    rows = session.execute(
        select(TopicMatch.topic, TopicMatch.id, TopicMatch.score)
        .join(Article, Article.id == TopicMatch.article_id)
        .where(Article.url == url)
    )
    return {topic: (id_, score) for topic, id_, score in rows}


def test_new_then_unchanged_then_updated(session: Session) -> None:
    run1 = writes.start_run(session, ["wire-a"])
    first = [
        article("https://a/1", title="Kuril talks", matches=(match("kuril", 2.0),)),
        article("https://a/2", title="Weather", source="wire-b"),
    ]
    assert writes.store_articles(session, run1, first) == ["new", "new"]
    session.commit()
    stored = _get(session, "https://a/1")
    assert (stored.version, stored.updated_at, stored.last_run_id) == (1, None, run1)
    assert stored.first_seen == stored.last_seen == utc(2024, 5, 1, 12)
    assert _count(session, ArticleVersion) == 2
    assert set(_topics(session, "https://a/1")) == {"kuril"}
    assert {s.name for s in session.scalars(select(Source))} == {"wire-a", "wire-b"}

    run2 = writes.start_run(session, ["wire-a", "wire-b"])
    later = utc(2024, 5, 2, 8)
    again = [
        article(r.url, title=r.title, source=r.source, fetched_at=later, matches=r.matches)
        for r in first
    ]
    before = _topics(session, "https://a/1")
    assert writes.store_articles(session, run2, again) == ["unchanged", "unchanged"]
    session.commit()
    stored = _get(session, "https://a/1")
    assert (stored.version, stored.last_seen, stored.last_run_id) == (1, later, run2)
    assert stored.first_seen == utc(2024, 5, 1, 12)
    assert _topics(session, "https://a/1") == before  # same flags: rows left alone
    assert (_count(session, Article), _count(session, ArticleVersion)) == (2, 2)
    assert _count(session, TopicMatch) == 1

    changed_at = utc(2024, 5, 3, 9)
    changed = article(
        "https://a/1",
        title="Kuril talks resume",
        fetched_at=changed_at,
        matches=(match("japan-russia", 1.5),),
    )
    assert writes.store_articles(session, run2, [changed]) == ["updated"]
    session.commit()
    stored = _get(session, "https://a/1")
    assert (stored.version, stored.title, stored.updated_at) == (
        2,
        "Kuril talks resume",
        changed_at,
    )
    versions = session.execute(
        select(ArticleVersion.version, ArticleVersion.title, ArticleVersion.seen_at)
        .where(ArticleVersion.article_id == stored.id)
        .order_by(ArticleVersion.version)
    ).all()
    assert [tuple(v) for v in versions] == [
        (1, "Kuril talks", utc(2024, 5, 1, 12)),
        (2, "Kuril talks resume", changed_at),
    ]
    assert set(_topics(session, "https://a/1")) == {"japan-russia"}


def test_restoring_same_batch_adds_no_rows(session: Session) -> None:
    batch = [article(f"https://a/{i}", text_=f"text {i}", matches=(match("t"),)) for i in range(5)]
    assert writes.store_articles(session, None, batch) == ["new"] * 5
    counts = [_count(session, m) for m in (Article, ArticleVersion, TopicMatch, Source)]
    assert writes.store_articles(session, None, batch) == ["unchanged"] * 5
    assert [_count(session, m) for m in (Article, ArticleVersion, TopicMatch, Source)] == counts


def test_unchanged_article_gets_refreshed_flags(session: Session) -> None:
    writes.store_articles(session, None, [article("https://a/1", matches=(match("a", 1.0),))])
    rescored = article("https://a/1", matches=(match("a", 3.0), match("b", 1.0)))
    assert writes.store_articles(session, None, [rescored]) == ["unchanged"]
    assert {t: s for t, (_, s) in _topics(session, "https://a/1").items()} == {"a": 3.0, "b": 1.0}
    assert writes.store_articles(session, None, [article("https://a/1")]) == ["unchanged"]
    assert _topics(session, "https://a/1") == {}


def test_duplicate_urls_in_one_batch(session: Session) -> None:
    writes.store_articles(session, None, [article("https://a/old", text_="v1")])
    batch = [
        article("https://a/new", text_="one"),
        article("https://a/new", text_="one"),
        article("https://a/old", text_="v1"),
        article("https://a/new", text_="two", matches=(match("x"),)),
        article("https://a/old", text_="v2"),
    ]
    assert writes.store_articles(session, None, batch) == [
        "new",
        "unchanged",
        "unchanged",
        "updated",
        "updated",
    ]
    new, old = _get(session, "https://a/new"), _get(session, "https://a/old")
    assert (new.text, new.version, old.text, old.version) == ("two", 2, "v2", 2)
    assert set(_topics(session, "https://a/new")) == {"x"}
    assert _count(session, ArticleVersion) == 4


def test_upsert_path_tolerates_an_existing_url(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes.store_articles(session, None, [article("https://a/1", text_="v1")])
    source_ids = {"wire-a": session.scalars(select(Source.id)).one()}
    assert writes._insert_articles(session, None, source_ids, [article("https://a/1")]) == {}

    # Another writer inserted the URL between our lookup and our insert.
    real = writes._load_states
    calls: Iterator[dict[str, Any]] = iter([{}])
    monkeypatch.setattr(writes, "_load_states", lambda s, urls: next(calls, None) or real(s, urls))
    batch = [article("https://a/1", text_="v1"), article("https://a/2")]
    assert writes.store_articles(session, None, batch) == ["unchanged", "new"]
    assert _count(session, Article) == 2


def test_published_is_aware_utc_after_roundtrip(session: Session) -> None:
    tokyo = timezone(timedelta(hours=9))
    published = utc(2024, 5, 1, 0, 30).astimezone(tokyo)
    writes.store_articles(session, None, [article("https://a/1", published=published)])
    session.commit()
    session.expire_all()
    stored = _get(session, "https://a/1")
    assert stored.published_at == published
    assert stored.published_at is not None and stored.published_at.tzinfo is not None
    assert stored.published_at.utcoffset() == timedelta(0)
    assert stored.first_seen.utcoffset() == timedelta(0)


def test_naive_datetime_is_refused(session: Session) -> None:
    naive = article("https://a/1", published=utc(2024, 5, 1).replace(tzinfo=None))
    with pytest.raises(Exception, match="naive datetime"):
        writes.store_articles(session, None, [naive])


def test_crawl_run_lifecycle(session: Session) -> None:
    run_id = writes.start_run(session, ["wire-a", "wire-b", "wire-a"])
    run = session.get(CrawlRun, run_id)
    assert run is not None and (run.status, run.finished_at) == ("running", None)
    assert [c.source for c in run_counts(session, run_id)] == ["wire-a", "wire-b"]
    assert all(c.fetched == 0 for c in run_counts(session, run_id))
    writes.finish_run(
        session,
        run_id,
        status="partial",
        counts=[
            SourceCounts("wire-a", fetched=3, new=2, unchanged=1, flagged=1),
            SourceCounts("wire-c", failed=4),
        ],
        error="wire-c: feed timed out",
    )
    session.commit()
    session.expire_all()
    run = session.get(CrawlRun, run_id)
    assert run is not None and run.status == "partial" and run.finished_at is not None
    assert run.error == "wire-c: feed timed out"
    assert run_counts(session, run_id) == [
        SourceCounts("wire-a", fetched=3, new=2, unchanged=1, flagged=1),
        SourceCounts("wire-b"),
        SourceCounts("wire-c", failed=4),
    ]
    with pytest.raises(ValueError, match="invalid final run status"):
        writes.finish_run(session, run_id, status="running", counts=[], error=None)
    with pytest.raises(StorageError, match="crawl run 9999 does not exist"):
        writes.finish_run(session, 9999, status="ok", counts=[], error=None)


def test_ensure_sources_creates_and_sets_language(session: Session) -> None:
    writes.ensure_sources(session, {"tass": None, "kyodo": "ja"})
    writes.ensure_sources(session, {"tass": "ru", "kyodo": None})
    langs = dict(session.execute(select(Source.name, Source.language)).all())
    assert langs == {"tass": "ru", "kyodo": "ja"}


def test_failures_recorded(session: Session) -> None:
    run_id = writes.start_run(session, ["wire-a"])
    failures = [
        FailureRecord("wire-a", "https://a/x", "download", "HTTP 503", 503, utc(2024, 5, 1, 10)),
        FailureRecord("wire-a", "https://a/feed", "feed", "not XML", None, utc(2024, 5, 2, 0)),
    ]
    writes.record_failures(session, run_id, failures)
    writes.record_failures(session, None, [])
    assert failures_between(session, utc(2024, 5, 1), utc(2024, 5, 2)) == failures[:1]
    assert failures_between(session, utc(2024, 5, 1), utc(2024, 5, 3)) == failures


def test_huge_text_is_stored_and_searchable(session: Session) -> None:
    words = " ".join(hashlib.md5(str(i).encode()).hexdigest() for i in range(60_000))  # 2 MB
    huge = article("https://a/huge", title="Huge page", text_=f"needle {words}")
    assert writes.store_articles(session, None, [huge]) == ["new"]
    session.commit()
    rows = find_articles(session, ArticleFilter(search="needle"))
    assert [r.url for r in rows] == ["https://a/huge"]


def test_a_thousand_article_batch_is_stored_once_then_unchanged(session: Session) -> None:
    """The write path at batch size (how fast it is: ``python -m benchmarks.write_speed``)."""
    body = "Lorem ipsum dolor sit amet. " * 180  # ~5 KB
    batch = [
        article(f"https://a/{i}", text_=f"{i} {body}", matches=(match("t"),)) for i in range(1000)
    ]
    assert writes.store_articles(session, None, batch) == ["new"] * 1000
    session.commit()
    assert writes.store_articles(session, None, batch) == ["unchanged"] * 1000
    session.commit()
    counts = [
        session.scalar(select(func.count()).select_from(model))
        for model in (Article, ArticleVersion, TopicMatch)
    ]
    assert counts == [1000, 1000, 1000]
    assert session.scalar(select(func.max(Article.version))) == 1
