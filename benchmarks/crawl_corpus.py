"""End-to-end crawl benchmark over the real corpus pages, against bare trafilatura.

Serves every corpus page from a local server on 127.0.0.1 behind one sitemap, runs a real
`wirewatch crawl` (a subprocess, SQLite in a temporary directory) and reports:

* articles/second end to end (stored articles / wall time of the crawl process, start-up
  included, and over the crawl run's own start/finish times);
* the bare-extraction rate: ``trafilatura.extract`` over the same pages with the same
  number of processes (``--processes``, default: the cores), the issue's baseline; and, for
  reference, the rate with ``with_metadata=True``, trafilatura's own way to also get the
  title, author, site name and date the crawl stores;
* peak memory of the crawl's process tree (Scrapy process, fork server, extraction
  workers), sampled: RSS summed over the processes (counts pages the forked workers share
  once per process) and PSS (shares them out; what the tree really holds);
* CPU seconds per article of the Scrapy process and of the extraction processes (fork
  server + workers), and the bare workers' CPU per page: where the end-to-end time goes;
  and the bound the workers' own CPU sets: the ratio to bare the crawl would reach if its
  workers had the cores to themselves (bare CPU per page / worker CPU per article).

Usage::

    WIREWATCH_CORPUS=../shared/corpus python -m benchmarks.crawl_corpus [--repeat 3]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from functools import partial
from pathlib import Path

from benchmarks.extract_corpus import load_pages
from tests.mockwire import MockWire, Route


def _bare(page: bytes, fast: bool = False, metadata: bool = False) -> tuple[int, int, float, float]:
    """Extract one page: (has text, worker pid, the worker's CPU seconds so far and before)."""
    import trafilatura

    before = time.process_time()
    text = trafilatura.extract(
        page, fast=fast, include_comments=False, include_tables=False, with_metadata=metadata
    )
    return (1 if text else 0), os.getpid(), time.process_time(), before


def bare_rate(
    pages: list[bytes], processes: int, fast: bool = False, metadata: bool = False
) -> tuple[float, int, float]:
    """Pages/second of bare ``trafilatura.extract`` over ``pages`` in ``processes`` processes,
    pages with text, and the workers' CPU seconds per page.

    The CPU is each worker's whole process from its first timed page to its last, the pool's
    hand-over of pages included, as the crawl's workers are measured.
    """
    import multiprocessing

    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(processes, mp_context=ctx) as pool:
        work = partial(_bare, fast=fast, metadata=metadata)
        list(pool.map(work, pages[:processes]))  # warm the workers up
        start = time.perf_counter()
        results = list(pool.map(work, pages, chunksize=4))
        elapsed = time.perf_counter() - start
    extracted = sum(ok for ok, _, _, _ in results)
    spans: dict[int, tuple[float, float]] = {}
    for _, pid, after, before in results:
        first, last = spans.get(pid, (before, after))
        spans[pid] = (min(first, before), max(last, after))
    cpu = sum(last - first for first, last in spans.values())
    return len(pages) / elapsed, extracted, cpu / len(pages)


def descendants(pid: int) -> dict[int, int]:
    """A process and all its descendants (those alive now), each mapped to its parent
    (``pid`` itself to 0)."""
    found: dict[int, int] = {}
    stack = [(pid, 0)]
    while stack:
        p, parent = stack.pop()
        if p in found:
            continue
        found[p] = parent
        try:
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        stack.extend((int(c), p) for c in children)
    return found


def memory(pids: Iterable[int]) -> tuple[int, int]:
    """(RSS, PSS) in bytes summed over processes."""
    rss = pss = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/smaps_rollup", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return rss, pss


def cpu_seconds(pid: int) -> float:
    """User+system CPU seconds one process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sitemap(n: int) -> bytes:
    """A plain sitemap listing every page (no dates, so no age filter applies)."""
    urls = "".join(f"<url><loc>{{base}}/p/{i}.html</loc></url>" for i in range(n))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    ).encode()


def crawl_once(
    wire: MockWire, n: int, workdir: Path, workers: int, fast: bool, inline: bool
) -> dict[str, float]:
    """One `wirewatch crawl` of the served corpus; returns rate, stored count and peak RSS."""
    db = workdir / f"bench-{time.monotonic_ns()}.db"
    config = workdir / "bench.toml"
    config.write_text(
        f"""builtin_sources = false
log_level = "WARNING"
[database]
url = "sqlite:///{db}"
[crawl]
concurrency = 32
concurrency_per_source = 32
obey_robots = false
max_articles_per_source = {n + 10}
extract_workers = {workers}
fast_extraction = {str(fast).lower()}
extract_in_process = {str(inline).lower()}
min_article_chars = 1
[[sources]]
name = "corpus"
sitemaps = ["{wire.base_url}/sitemap.xml"]
delay = 0
""",
        encoding="utf-8",
    )
    env = {**os.environ, "WIREWATCH_DATA_DIR": str(workdir)}
    cmd = [sys.executable, "-m", "wirewatch", "--config", str(config), "crawl"]
    start = time.perf_counter()
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak_rss = peak_pss = 0
    cpu: dict[int, float] = {}  # CPU seconds per process of the crawl, last seen
    parents: dict[int, int] = {}  # the crawl's processes and their parents
    server_cpu = time.process_time()

    def sample() -> None:
        nonlocal peak_rss, peak_pss
        for tick in itertools.count():
            if child.poll() is not None:
                return
            pids = descendants(child.pid)
            parents.update(pids)
            for pid in pids:
                cpu[pid] = max(cpu.get(pid, 0.0), cpu_seconds(pid))
            if tick % 5 == 0:  # smaps_rollup walks every mapping: memory at 2 Hz is enough
                rss, pss = memory(pids)
                peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = child.communicate(timeout=3600)
    wall = time.perf_counter() - start
    sampler.join()
    server_cpu = time.process_time() - server_cpu
    if child.returncode != 0:
        raise SystemExit(f"crawl failed ({child.returncode}):\n{err.decode()[-3000:]}")
    con = sqlite3.connect(db)
    stored = con.execute("select count(*) from articles").fetchone()[0]
    failed = con.execute("select count(*) from fetch_failures").fetchone()[0]
    started, finished = con.execute(
        "select started_at, finished_at from crawl_runs order by id desc limit 1"
    ).fetchone()
    con.close()
    run_seconds = (
        datetime.fromisoformat(str(finished)) - datetime.fromisoformat(str(started))
    ).total_seconds()
    return {
        "stored": stored,
        "failed": failed,
        "wall": wall,
        "rate_wall": stored / wall,
        "rate_run": stored / run_seconds,
        "peak_rss_mb": peak_rss / 2**20,
        "peak_pss_mb": peak_pss / 2**20,
        "cpu_main": cpu.get(child.pid, 0.0),
        "cpu_extract": sum(v for pid, v in cpu.items() if pid != child.pid),
        # the fork server (and resource tracker) are the crawl's children, workers their children
        "cpu_forkserver": sum(v for pid, v in cpu.items() if parents.get(pid) == child.pid),
        "cpu_workers": sum(
            v for pid, v in cpu.items() if parents.get(pid) not in (None, 0, child.pid)
        ),
        "cpu_server": server_cpu,
    }


def main() -> None:
    """Run the benchmark and print its numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=os.environ.get("WIREWATCH_CORPUS"))
    parser.add_argument("--processes", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--fast", action="store_true", help="trafilatura fast mode in both")
    parser.add_argument(
        "--crawl-fast", action="store_true", help="fast mode in the crawl only (bare stays default)"
    )
    parser.add_argument("--inline", action="store_true", help="extract in the Scrapy process")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages")
    args = parser.parse_args()
    if not args.corpus or not Path(args.corpus).is_dir():
        raise SystemExit("set WIREWATCH_CORPUS or --corpus to the corpus folder")
    pages = [body for body, _ in load_pages(Path(args.corpus))]
    if args.limit:
        pages = pages[: args.limit]
    n = len(pages)
    print(
        f"{n} corpus pages, {sum(map(len, pages)) / 2**20:.1f} MiB, "
        f"{args.processes} processes, fast={args.fast}, crawl_fast={args.crawl_fast}, "
        f"inline={args.inline}"
    )

    routes = {f"/p/{i}.html": Route(body=p, content_type="text/html") for i, p in enumerate(pages)}
    routes["/sitemap.xml"] = Route(body=sitemap(n), content_type="application/xml")
    results = []
    with MockWire(routes) as wire, tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            bare, extracted, bare_cpu = bare_rate(pages, args.processes, args.fast)
            with_meta, _, _ = bare_rate(pages, args.processes, args.fast, metadata=True)
            crawl_fast = args.fast or args.crawl_fast
            res = crawl_once(wire, n, Path(tmp), args.processes, crawl_fast, args.inline)
            res["bare"] = bare
            res["bare_meta"] = with_meta
            res["ratio_meta"] = res["rate_wall"] / with_meta
            res["ratio"] = res["rate_wall"] / bare
            res["ms_bare"] = bare_cpu * 1000
            res["ms_main"] = res["cpu_main"] / res["stored"] * 1000
            res["ms_extract"] = res["cpu_extract"] / res["stored"] * 1000
            res["ms_workers"] = res["cpu_workers"] / res["stored"] * 1000
            # if the workers had the cores to themselves (no Scrapy process, no start-up)
            res["bound"] = res["ms_bare"] / res["ms_workers"] if res["cpu_workers"] else 0.0
            results.append(res)
            print(
                f"run {i + 1}: bare extract {bare:.1f} pages/s ({extracted} with text), "
                f"with metadata {with_meta:.1f}/s; "
                f"crawl stored {res['stored']:.0f} (failed {res['failed']:.0f}) in "
                f"{res['wall']:.1f}s: {res['rate_wall']:.1f} articles/s wall, "
                f"{res['rate_run']:.1f} over the run; ratio {res['ratio']:.2f} "
                f"(run {res['rate_run'] / bare:.2f}; to the metadata baseline "
                f"{res['ratio_meta']:.2f}); peak RSS {res['peak_rss_mb']:.0f} MB, "
                f"PSS {res['peak_pss_mb']:.0f} MB; CPU ms/article: bare worker "
                f"{res['ms_bare']:.1f}, crawl: Scrapy process {res['ms_main']:.1f} + extraction "
                f"processes {res['ms_extract']:.1f} (fork server {res['cpu_forkserver']:.2f} s, "
                f"workers {res['ms_workers']:.1f}: alone they allow at most {res['bound']:.2f}x "
                f"bare); server {res['cpu_server']:.1f} s"
            )
    if len(results) > 1:
        med = {k: statistics.median(r[k] for r in results) for k in results[0]}
        print(
            f"median: bare {med['bare']:.1f}/s, end-to-end {med['rate_wall']:.1f}/s wall "
            f"({med['rate_run']:.1f}/s run), ratio {med['ratio']:.2f} (to bare with metadata "
            f"{med['bare_meta']:.1f}/s: {med['ratio_meta']:.2f}), peak RSS "
            f"{med['peak_rss_mb']:.0f} MB, PSS {med['peak_pss_mb']:.0f} MB; CPU ms/article: "
            f"bare {med['ms_bare']:.1f}, Scrapy {med['ms_main']:.1f}, extraction "
            f"{med['ms_extract']:.1f} (workers {med['ms_workers']:.1f}: at most "
            f"{med['bound']:.2f}x bare)"
        )


if __name__ == "__main__":
    main()
