"""Instructions per page of the extraction worker vs bare trafilatura, under callgrind.

Rates on a shared machine drift with other tenants' load; instruction counts do not.
Runs every ``--step``-th corpus page through (a) nothing (start-up only), (b) bare
``trafilatura.extract``, (c) wirewatch's worker (``pipelines.worker.process_page``) and
(d) ``trafilatura.extract(with_metadata=True)``, each in its own process under
``valgrind --tool=callgrind``, and prints millions of instructions per page after
subtracting the start-up run. Takes ~10 minutes with the default step::

    WIREWATCH_CORPUS=../shared/corpus python -m benchmarks.extract_instructions [--step 10]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

MODES = ("none", "bare", "worker", "with_metadata")


def run_pages(corpus: Path, step: int, mode: str) -> None:
    """Load every ``step``-th page and process it as ``mode`` says (runs under valgrind)."""
    import trafilatura

    from benchmarks.extract_corpus import load_pages
    from pipelines import worker
    from scrapers.items import ArticlePage
    from wirecore.errors import ExtractionError
    from wirewatch.config import load_config

    worker.init_worker(load_config(None).topics)
    worker.warm_up()
    trafilatura.extract(b"<html><body><p>" + b"warm up " * 60 + b"</p></body></html>")
    pages = load_pages(corpus, step)
    for body, url in pages if mode != "none" else []:
        if mode == "bare":
            trafilatura.extract(body, include_comments=False, include_tables=False)
        elif mode == "with_metadata":
            trafilatura.extract(
                body, include_comments=False, include_tables=False, with_metadata=True
            )
        else:
            url = url or "https://example.com/news/1"
            page = ArticlePage("corpus", url, body, "text/html", datetime.now(UTC))
            with contextlib.suppress(ExtractionError):
                worker.process_page(page, min_chars=1)
    print(len(pages))


def count(corpus: Path, step: int, mode: str, workdir: Path) -> tuple[int, int]:
    """(instructions, pages) of one mode's run under callgrind."""
    out = workdir / f"callgrind.{mode}.out"
    cmd = [
        "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
        sys.executable, "-m", "benchmarks.extract_instructions",
        "--corpus", str(corpus), "--step", str(step), "--run", mode,
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    refs = re.search(r"Collected : (\d+)", done.stderr)
    if refs is None:
        raise SystemExit(f"no instruction count from valgrind:\n{done.stderr[-2000:]}")
    return int(refs[1]), int(done.stdout.split()[-1])


def main() -> None:
    """Count each mode (two at a time) and print instructions per page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=os.environ.get("WIREWATCH_CORPUS"))
    parser.add_argument("--step", type=int, default=10, help="every N-th corpus page")
    parser.add_argument("--run", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.corpus or not Path(args.corpus).is_dir():
        raise SystemExit("set WIREWATCH_CORPUS or --corpus to the corpus folder")
    corpus = Path(args.corpus)
    if args.run:
        run_pages(corpus, args.step, args.run)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(2) as pool:
        found = pool.map(lambda mode: count(corpus, args.step, mode, Path(tmp)), MODES)
        counts = dict(zip(MODES, found, strict=True))
    base, pages = counts["none"]
    per_page = {m: (counts[m][0] - base) / pages / 1e6 for m in MODES[1:]}
    print(f"{pages} pages (every {args.step}th), million instructions per page:")
    for mode, value in per_page.items():
        print(f"  {mode:14s} {value:7.1f}  ({value / per_page['bare']:.2f}x bare)")


if __name__ == "__main__":
    main()
