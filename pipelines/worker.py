"""The CPU-bound half of the pipeline, run in worker processes.

Everything here is a plain function of picklable values: extraction (trafilatura),
publication time, language and topic flags all happen in the worker, so the Scrapy
process only downloads and stores. This module stays cheap to import, because the Scrapy process
imports it too: trafilatura is imported only where it runs (the fork server preloads it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from pipelines.simhash import fingerprint
from pipelines.topics import TopicMatcher, compile_topics
from scrapers.items import ArticlePage
from scrapers.urls import canonicalize_url, same_site
from storage.records import ArticleRecord

_matcher: TopicMatcher | None = None


def init_worker(topics: Mapping[str, Mapping[str, Any]]) -> None:
    """Compile the topic rules once per worker process."""
    global _matcher
    _matcher = compile_topics(topics)


def warm_up() -> None:
    """Load what the first extraction would load lazily (language model, trafilatura's state)
    and the Russian dictionary ``init_worker`` compiles rules with."""
    from pipelines import morph
    from pipelines.extraction import extract_article
    from wirecore.errors import ExtractionError

    morph.load()
    page = b"<html><body><article><p>" + b"warm up " * 40 + b"</p></article></body></html>"
    with contextlib.suppress(ExtractionError):
        extract_article(page, "http://localhost/warm-up", content_type="text/html", min_chars=1)


def article_url(fetched_url: str, canonical: str | None) -> str:
    """Where an article is stored: its same-site ``rel=canonical``, else where it was fetched."""
    if canonical and same_site(fetched_url, canonical):
        path = canonical.split("://", 1)[-1].partition("/")[2]
        if path.strip("/"):
            return canonicalize_url(canonical)
    return canonicalize_url(fetched_url)


def process_page(page: ArticlePage, *, fast: bool = False, min_chars: int = 10) -> ArticleRecord:
    """Extract, date and flag one fetched page; raises ExtractionError when it holds no article."""
    from pipelines.extraction import extract_article

    if _matcher is None:
        raise RuntimeError("init_worker() was not called in this process")
    ex = extract_article(
        page.body,
        page.url,
        content_type=page.content_type,
        feed_published=page.feed_published,
        feed_title=page.feed_title,
        language_hint=page.language_hint,
        source_tz=page.source_tz,
        fast=fast,
        min_chars=min_chars,
    )
    return ArticleRecord(
        url=article_url(page.url, ex.canonical_url),
        source=page.source,
        title=ex.title,
        author=ex.author,
        published=ex.published,
        published_origin=ex.published_origin,
        published_note=ex.published_note,
        language=ex.language,
        sitename=ex.sitename,
        text=ex.text,
        content_hash=ex.content_hash,
        fetched_at=page.fetched_at,
        matches=tuple(_matcher.match(ex.title, ex.text)),
        simhash=fingerprint(ex.text),
    )
