"""Typed values across the Scrapy boundary: SourceConfig objects in the crawler settings
(also through the worker's fast settings copy), the run and store outcomes, the counts."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from scrapy.signalmanager import SignalManager

from pipelines.pollstate import source_policy
from pipelines.runstate import RunTally, run_status
from scheduler.workerproc import base_settings, poll_settings
from scrapers.spiders.wire import WireSpider
from storage.records import ArticleRecord, SourceCounts
from wirecore.outcomes import FailureKind, RunFailure, RunStatus, StoreOutcome
from wirecore.sources import SourceConfig
from wirewatch.config import Config, build_config
from wirewatch.crawl import scrapy_settings
from wirewatch.runtime import ConfiguredCrawls

NOW = datetime(2026, 11, 27, 10, 30, tzinfo=UTC)


def _config() -> Config:
    user = {
        "builtin_sources": False,
        "database": {"url": "sqlite://"},
        "sources": [
            {"name": "wire-a", "feeds": ["https://a.example/rss"], "language": "en"},
            {"name": "wire-b", "feeds": ["https://b.example/rss"], "enabled": False},
            {"name": "search", "feeds": ["https://s.example/rss"], "discovery": True},
        ],
    }
    return build_config(user, where="<test>", path=None, env={})


def test_crawl_settings_carry_the_source_objects() -> None:
    config = _config()
    settings = scrapy_settings(config)
    for copied in (settings, settings.copy(), settings.frozencopy()):
        sources = copied.getlist("WIREWATCH_SOURCES")
        assert sources == list(config.sources)
        assert all(isinstance(s, SourceConfig) for s in sources)


def test_source_config_is_shared_not_copied() -> None:
    src = SourceConfig("wire-a", feeds=("https://a.example/rss",))
    assert copy.deepcopy(src) is src and copy.copy(src) is src


def test_worker_poll_settings_give_the_spider_source_objects() -> None:
    config = _config()
    crawls = ConfiguredCrawls(config)
    base = base_settings(config, crawls, None)
    own = poll_settings(config, crawls, base, "wire-a").getlist("WIREWATCH_SOURCES")
    assert own == [config.source("wire-a")]
    # a discovery source's articles are filed under the other configured sources
    found = poll_settings(config, crawls, base, "search").getlist("WIREWATCH_SOURCES")
    assert [s.name for s in found] == ["search", "wire-a", "wire-b"]
    settings = poll_settings(config, crawls, base, "search")
    settings.set("WIREWATCH_DATABASE_URL", None, priority="cmdline")  # no polling state
    crawler = SimpleNamespace(settings=settings, signals=SignalManager())
    spider = WireSpider.from_crawler(crawler, sources="search")
    assert spider.sources == {"search": config.source("search")}
    assert spider.publishers == {"a.example": "wire-a", "b.example": "wire-b"}


def test_interval_policy_is_the_source_config_bounds() -> None:
    src = SourceConfig("wire-a", interval=600.0, min_interval=60.0)
    policy = source_policy(src)
    assert (policy.base, policy.minimum, policy.maximum) == (600.0, 60.0, 4800.0)
    default = source_policy(SourceConfig("gone"))
    assert (default.base, default.minimum, default.maximum) == (900.0, 225.0, 7200.0)


def _article(url: str, *, published: datetime | None = NOW) -> ArticleRecord:
    return ArticleRecord(
        url=url, source="wire-a", title="t", author=None, published=published,
        published_origin=None, language="en", sitename=None, text="x", content_hash=url,
        fetched_at=NOW,
    )  # fmt: skip


def test_counts_by_store_outcome() -> None:
    counts = SourceCounts("wire-a")
    for outcome in (StoreOutcome.NEW, StoreOutcome.NEW, StoreOutcome.UPDATED):
        counts.add(outcome)
    counts.add(StoreOutcome.UNCHANGED)
    assert (counts.new, counts.updated, counts.unchanged) == (2, 1, 1)
    tally = RunTally(["wire-a"])
    articles = [_article("https://a/1", published=None), _article("https://a/2", published=None)]
    assert tally.stored(articles, [StoreOutcome.NEW, StoreOutcome.UPDATED]) == 1  # undated new
    assert tally.totals() == {"new": 1, "updated": 1, "unchanged": 0, "flagged": 0, "failed": 0}


@pytest.mark.parametrize(
    ("reason", "fetched", "failed", "lost", "status"),
    [
        ("finished", 3, 0, 0, RunStatus.OK),
        ("finished", 3, 1, 0, RunStatus.PARTIAL),
        ("finished", 0, 2, 0, RunStatus.FAILED),
        ("finished", 3, 0, 4, RunStatus.PARTIAL),
        ("shutdown", 3, 0, 0, RunStatus.INTERRUPTED),
    ],
)
def test_run_status(reason: str, fetched: int, failed: int, lost: int, status: RunStatus) -> None:
    counts = [replace(SourceCounts("wire-a"), fetched=fetched, failed=failed)]
    assert run_status(reason, counts, lost) is status
    assert status == status.value  # stored and printed as the same text


def test_run_failure_is_stored_as_kind_and_detail() -> None:
    failure = RunFailure(FailureKind.LOST, "process h:1:2 is gone")
    assert str(failure) == "lost: process h:1:2 is gone"
