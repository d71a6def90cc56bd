"""The live canary: one feed and one article per source, to tell when a site has changed.

Plain blocking HTTP (``urllib``), one request at a time, robots.txt obeyed: a canary
makes two or three requests per source and must not need the crawl machinery to tell
whether discovery, extraction, dates and language still work.
"""

from __future__ import annotations

import urllib.robotparser
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapers.discovery import resolve_entries
from scrapers.feeds import FeedEntry, parse_feed, parse_sitemap
from scrapers.listings import parse_listing
from wirecore.errors import ExtractionError, FeedError
from wirecore.sources import SourceConfig
from wirewatch.config import Config
from wirewatch.fetch import fetch


@dataclass(slots=True)
class CanaryResult:
    """What the canary found for one source; each check is "ok" or the reason it failed."""

    source: str
    discovery: str = "not run"
    extraction: str = "not run"
    date: str = "not run"
    language: str = "not run"
    feed: str | None = None
    article: str | None = None

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return all(v == "ok" for v in (self.discovery, self.extraction, self.date, self.language))


class _Fetcher:
    def __init__(self, config: Config) -> None:
        self.agent = config.crawl.user_agent
        self.timeout = config.crawl.timeout
        self.max_bytes = config.crawl.max_response_bytes
        self.obey_robots = config.crawl.obey_robots
        self.robots: dict[str, urllib.robotparser.RobotFileParser] = {}

    def get(self, url: str) -> tuple[bytes, str, str | None]:
        """Body, final URL and content type of ``url``; raises OSError with a reason."""
        if self.obey_robots and not self._allowed(url):
            raise OSError("forbidden by robots.txt")
        return self._raw(url)

    def _allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        parser = self.robots.get(root)
        if parser is None:
            parser = urllib.robotparser.RobotFileParser()
            try:
                body, _, _ = self._raw(root + "/robots.txt")
                parser.parse(body.decode("utf-8", "replace").splitlines())
            except OSError:
                parser.parse([])
            self.robots[root] = parser
        return parser.can_fetch(self.agent, url)

    def _raw(self, url: str) -> tuple[bytes, str, str | None]:
        """One GET, at most ``timeout`` seconds of wall-clock time in all."""
        got = fetch(url, agent=self.agent, timeout=self.timeout, max_bytes=self.max_bytes)
        return got.body, got.url, got.content_type


def check_source(
    config: Config, src: SourceConfig, fetcher: _Fetcher | None = None
) -> CanaryResult:
    """Fetch one feed (or sitemap, or listing) and its first article; check each stage."""
    fetcher = fetcher or _Fetcher(config)
    result = CanaryResult(src.name)
    entries = _discover(src, fetcher, result)
    if not entries:
        return result
    from pipelines.extraction import extract_article

    entry = entries[0]
    result.article = entry.url
    try:
        body, url, ctype = fetcher.get(entry.url)
        ex = extract_article(
            body,
            url,
            content_type=ctype,
            feed_published=entry.published,
            feed_title=entry.title,
            language_hint=src.language,
            source_tz=src.timezone,
            min_chars=config.crawl.min_article_chars,
        )
    except OSError as err:
        result.extraction = f"article download failed: {err}"
        return result
    except ExtractionError as err:
        result.extraction = f"no article: {err.reason}"
        return result
    result.extraction = "ok"
    result.date = "ok" if ex.published else "no publication time found"
    if ex.published and ex.published_origin == "feed":
        result.date = "ok (from the feed only)"
    want = src.language
    result.language = "ok" if not want or ex.language == want else f"got {ex.language!r}"
    return result


def _discover(src: SourceConfig, fetcher: _Fetcher, result: CanaryResult) -> list[FeedEntry]:
    candidates = [("feed", u) for u in src.feeds] + [("sitemap", u) for u in src.sitemaps]
    candidates += [("listing", u) for u in src.listings]
    reasons = []
    for kind, url in candidates:
        result.feed = url
        try:
            body, final, ctype = fetcher.get(url)
            if kind == "feed":
                entries = parse_feed(body, final, ctype)
            elif kind == "sitemap":
                entries = parse_sitemap(body, final).entries
            else:
                entries = parse_listing(body, final, src.link_pattern or ".")
        except (OSError, FeedError) as err:
            reasons.append(f"{kind} {err}")
            continue
        if src.discovery and entries:
            listed = len(entries)
            entries = [r.entry for r in resolve_entries(entries, final, {})[0]]
            if not entries:
                reasons.append(f"{kind} lists {listed} items, none resolvable to a publisher URL")
                continue
        if entries:
            result.discovery = "ok"
            return entries
        reasons.append(f"{kind} lists no articles")
    result.discovery = "; ".join(reasons[:2]) or "no feed, sitemap or listing configured"
    return []


def run_canary(config: Config, names: list[str] | None = None) -> list[CanaryResult]:
    """Check every enabled source (or the named ones), one after another."""
    fetcher = _Fetcher(config)
    chosen = (
        [config.source(n) for n in names] if names else [s for s in config.sources if s.enabled]
    )
    return [check_source(config, src, fetcher) for src in chosen]
