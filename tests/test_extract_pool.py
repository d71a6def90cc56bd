"""ExtractPipeline's workers: a stuck page gets its worker killed, a crashing page costs
only itself, and the pages in flight with either are still extracted."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from pipelines.extract import ExtractPipeline
from scrapers.items import ArticlePage

HANG_SECONDS = 120


def stubborn(page: ArticlePage, **_: Any) -> str:
    """Runs in the pool's workers in place of the extraction: hangs, crashes or works."""
    if page.url.endswith("/hang"):
        time.sleep(HANG_SECONDS)
    if page.url.endswith("/crash"):
        os._exit(3)
    time.sleep(0.3)  # long enough to be in flight when another page breaks the pool
    return page.url


def page(url: str) -> ArticlePage:
    return ArticlePage("w", url, b"<html></html>", "text/html", datetime.now(UTC))


def run_pages(names: list[str]) -> tuple[dict[str, Any], float, list[int]]:
    """Each page's result (or DropItem), the seconds it all took, the first workers' pids."""
    pipeline = ExtractPipeline(
        get_crawler().stats, {}, workers=2, fast=False, min_chars=1, timeout=5.0
    )
    pipeline.work = stubborn
    pipeline.open_spider()
    assert pipeline.pool is not None
    pipeline.pool.submit(time.sleep, 0).result(timeout=60)  # workers up before the clock runs
    first_workers = list(getattr(pipeline.pool, "_processes", {}))
    urls = [f"https://w.example/{name}" for name in names]

    async def crawl() -> list[Any]:
        work = (pipeline.process_item(page(u)) for u in urls)
        return await asyncio.gather(*work, return_exceptions=True)

    start = time.monotonic()
    results = dict(zip(names, asyncio.run(crawl()), strict=True))
    pipeline.close_spider()
    return results, time.monotonic() - start, first_workers


@pytest.mark.timeout(100)
def test_a_stuck_page_gets_its_worker_killed() -> None:
    results, elapsed, first_workers = run_pages(["1", "hang", "2", "3", "4"])
    hang = results.pop("hang")
    assert isinstance(hang, DropItem) and "took over 5s" in str(hang)
    assert results == {n: f"https://w.example/{n}" for n in results}, results
    # the stuck worker was killed, not waited for
    assert elapsed < HANG_SECONDS / 2
    assert first_workers and not any(running(pid) for pid in first_workers)


@pytest.mark.timeout(100)
def test_a_crashing_page_costs_only_itself() -> None:
    results, _, _ = run_pages(["1", "2", "crash", "3", "4", "5"])
    crash = results.pop("crash")
    assert isinstance(crash, DropItem) and "crashed" in str(crash)
    assert results == {n: f"https://w.example/{n}" for n in results}, results


def running(pid: int) -> bool:
    """True while a process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
