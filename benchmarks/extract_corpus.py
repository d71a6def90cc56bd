"""Extraction speed on the real-page corpus: bare trafilatura vs wirewatch's extract_article.

    python benchmarks/extract_corpus.py --corpus ../shared/corpus --processes 2 [--fast]

Loads every HTML page of the corpus into memory, then times (a) ``trafilatura.extract`` on
the decoded string and (b) ``pipelines.extraction.extract_article`` on the bytes, each with
one process and with N processes (``forkserver`` pool). Prints pages/s, per-page
median/p95 wall milliseconds and the mean CPU milliseconds per page (``time.process_time``
in the process that extracts: the number that does not depend on what else the machine
runs). This is the baseline the end-to-end crawl benchmark compares to.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

from pipelines.encoding import decode_html
from pipelines.extraction import extract_article
from wirecore.errors import ExtractionError

Page = tuple[bytes, str]
_FAST = False


def load_pages(corpus: Path, step: int = 1) -> list[Page]:
    """Every ``step``-th HTML page listed in the corpus manifest, as (bytes, url), in order."""
    with (corpus / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[::step]
    return [(gzip.decompress((corpus / r["file"]).read_bytes()), r["url"]) for r in rows]


def bare_trafilatura(page: Page) -> tuple[float, float]:
    """(wall, CPU) milliseconds for trafilatura.extract on the decoded page."""
    html = decode_html(page[0], None)
    start, cpu = time.perf_counter(), time.process_time()
    trafilatura.extract(html, fast=_FAST)
    return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000


def ours(page: Page) -> tuple[float, float]:
    """(wall, CPU) milliseconds for extract_article on the raw bytes (decoding included)."""
    start, cpu = time.perf_counter(), time.process_time()
    with contextlib.suppress(ExtractionError):
        extract_article(page[0], page[1], content_type=None, fast=_FAST)
    return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000


def _init(fast: bool) -> None:
    global _FAST  # set once per worker by the pool initializer
    _FAST = fast


def run(
    func: Callable[[Page], tuple[float, float]], pages: list[Page], processes: int, fast: bool
) -> None:
    """Time func over all pages with the given number of processes and print one line."""
    start = time.perf_counter()
    if processes == 1:
        _init(fast)
        pairs = [func(p) for p in pages]
    else:
        context = multiprocessing.get_context("forkserver")
        with context.Pool(processes, initializer=_init, initargs=(fast,)) as pool:
            pool.map(func, pages[: processes * 2], chunksize=1)  # warm up workers
            start = time.perf_counter()
            pairs = pool.map(func, pages, chunksize=8)
    elapsed = time.perf_counter() - start
    times = [wall for wall, _ in pairs]
    cpu = sum(c for _, c in pairs) / len(pairs)
    p95 = statistics.quantiles(times, n=20)[-1]
    print(
        f"{func.__name__:16} processes={processes} pages={len(pages)} "
        f"{len(pages) / elapsed:6.1f} pages/s  median {statistics.median(times):6.1f} ms  "
        f"p95 {p95:6.1f} ms  max {max(times):7.1f} ms  cpu mean {cpu:6.1f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, load the corpus, run the four timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=os.environ.get("WIREWATCH_CORPUS"))
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--fast", action="store_true", help="trafilatura's fast mode")
    args = parser.parse_args(argv)
    if args.corpus is None or not (args.corpus / "manifest.csv").is_file():
        parser.error("--corpus (or WIREWATCH_CORPUS) must point at the corpus directory")
    pages = load_pages(args.corpus)
    print(
        f"loaded {len(pages)} pages, {sum(len(b) for b, _ in pages) / 1e6:.1f} MB, "
        f"fast={args.fast}, cpus={os.cpu_count()}"
    )
    for func in (bare_trafilatura, ours):
        ours(pages[0])  # load models and caches outside the timing
        run(func, pages, 1, args.fast)
        run(func, pages, args.processes, args.fast)
    return 0


if __name__ == "__main__":
    sys.exit(main())
