"""How fast the storage write path stores a batch of articles, new and then unchanged.

    .venv/bin/python -m benchmarks.write_speed [--articles 1000] [--repeat 5]

Stores ``--articles`` articles of ~5 KB with one topic match each in one batch (all new),
commits, then stores the same batch again (all unchanged: only ``last_seen`` is bumped),
on a fresh SQLite file each repeat, and prints articles per second, best and median.
(The measurement used to be printed by a test, ``test_write_speed_sanity``; the test now
checks what the batch stores.)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from storage import writes
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.records import ArticleRecord
from tests.conftest import article, match

BODY = "Lorem ipsum dolor sit amet. " * 180  # ~5 KB


def _once(path: Path, batch: list[ArticleRecord]) -> tuple[float, float]:
    """Seconds to store the batch new, then unchanged, on a freshly migrated database."""
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            started = time.perf_counter()
            writes.store_articles(session, None, batch)
            session.commit()
            inserted = time.perf_counter() - started
            started = time.perf_counter()
            writes.store_articles(session, None, batch)
            session.commit()
            return inserted, time.perf_counter() - started
    finally:
        engine.dispose()


def main() -> None:
    """Time the write path and print articles per second."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    batch = [
        article(f"https://a/{i}", text_=f"{i} {BODY}", matches=(match("t"),))
        for i in range(args.articles)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        runs = [_once(Path(tmp) / f"w{n}.db", batch) for n in range(args.repeat)]
    for label, times in (("new", [r[0] for r in runs]), ("unchanged", [r[1] for r in runs])):
        rates = [args.articles / t for t in times]
        print(
            f"sqlite: {args.articles} {label:9s} articles: best {max(rates):7.0f}/s, "
            f"median {statistics.median(rates):7.0f}/s"
        )


if __name__ == "__main__":
    main()
