"""CPU per page of each step of wirewatch's extraction worker, beside bare trafilatura.

One process, every corpus page, each step timed with ``time.process_time`` in the order the
worker runs it (``pipelines.extraction.extract_article`` + ``pipelines.worker.process_page``)::

    WIREWATCH_CORPUS=../shared/corpus python -m benchmarks.extract_stages

"bare" is ``trafilatura.extract`` on the page bytes (its own parse included), as in the
crawl benchmark. The worker's steps add up to what one article costs on top of Scrapy.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import trafilatura
from trafilatura.utils import load_html

from benchmarks.extract_corpus import load_pages
from pipelines import extraction, worker
from pipelines.encoding import decode_html
from pipelines.listing import listing_reason
from pipelines.metadata import page_metadata
from pipelines.simhash import fingerprint
from wirecore.errors import ExtractionError
from wirewatch.config import load_config

NOW = datetime.now(UTC)


def main() -> None:
    """Time every step over the corpus and print milliseconds per page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=os.environ.get("WIREWATCH_CORPUS"))
    args = parser.parse_args()
    if not args.corpus or not Path(args.corpus).is_dir():
        raise SystemExit("set WIREWATCH_CORPUS or --corpus to the corpus folder")
    pages = load_pages(Path(args.corpus))
    worker.init_worker(load_config(None).topics)
    worker.warm_up()
    spent: dict[str, float] = defaultdict(float)

    def timed(step: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return func(*args, **kwargs)
        finally:
            spent[step] += time.process_time() - start

    matcher = worker._matcher
    assert matcher is not None
    for body, page_url in pages:
        url = page_url or "https://example.com/news/1"
        timed(
            "bare trafilatura.extract",
            trafilatura.extract,
            body,
            include_comments=False,
        )
        html = timed("decode", decode_html, body, "text/html")
        tree = timed("parse (lxml)", load_html, html)
        if tree is None:
            continue
        timed("rel=canonical", extraction._canonical_url, tree, url)
        meta = timed("metadata (title, author, site)", page_metadata, tree, url)
        try:
            doc = timed("trafilatura (text)", extraction._trafilatura, tree, url, False, True)
        except ExtractionError:
            continue
        text = timed("clean text", extraction._clean_text, doc.text or "")
        timed("article or listing", listing_reason, tree, text, url)
        timed(
            "publication time (+ htmldate when needed)",
            extraction.publication_time,
            tree,
            url,
            feed_published=None,
            now=NOW,
            source_tz=None,
        )
        timed("language", extraction._language, text, None, None)
        timed("topic match", matcher.match, meta.title or "", text)
        timed("simhash", fingerprint, text)
        timed("content hash", extraction.content_hash, meta.title or "", text)
        timed("article URL", worker.article_url, url, None)
    print(f"{len(pages)} pages, CPU milliseconds per page:")
    for step, seconds in spent.items():
        print(f"  {step:42s} {seconds / len(pages) * 1000:6.2f}")


if __name__ == "__main__":
    main()
