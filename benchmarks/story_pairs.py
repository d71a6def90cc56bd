"""Pairwise precision and recall of story clusters on the hand-labelled story pairs.

    .venv/bin/python -m benchmarks.story_pairs [--scale]

The set and the two groupings scored (``simhash``, ``stored``) are described in
``tests/storypairs.py``, which this prints the scores of, with the linker's cost per
article. With ``WIREWATCH_CORPUS`` set it also lists the pairs it links among one day of
real TASS politics stories. ``--scale`` also times one store batch against 10,000 stored
articles on the same topic.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine

from pipelines.simhash import fingerprint
from pipelines.storykeys import LINKER, story_print
from storage import identity
from storage.db import make_sessionmaker
from storage.migrate import upgrade
from storage.records import ArticleRecord
from storage.writes import start_run, store_articles
from tests.storypairs import Labelled, corpus_links, load, report, when


def cost_at_scale(
    stored: int = 10000, batch: int = 100, out: Callable[[str], object] = print
) -> None:
    """Time one store batch against a database already holding ``stored`` articles of the
    last three days, all on the set's topic (the worst case for key lookups): clustering
    with story keys against simhash only, per article."""
    articles = load()
    engine = create_engine("sqlite://")
    upgrade(engine)
    start = max(when(a) for a in articles)
    with make_sessionmaker(engine)() as session:
        run = start_run(session, sorted({a.record.source for a in articles}))
        for first in range(0, stored + 2 * batch, 500):
            chunk = [_copy(articles, n, start) for n in range(first, first + 500)]
            store_articles(session, run, chunk)
            if first < stored:
                identity.assign_clusters(session, [story_print(r) for r in chunk], linker=LINKER)
        session.commit()
        timings = {}
        for name, linker, offset in (
            ("simhash only", None, stored),
            ("with keys", LINKER, stored + batch),
        ):
            records = [_copy(articles, n, start) for n in range(offset, offset + batch)]
            prints = [story_print(r) for r in records]
            began = time.perf_counter()
            identity.assign_clusters(session, prints, linker=linker)
            timings[name] = 1000 * (time.perf_counter() - began) / batch
        session.rollback()
    engine.dispose()
    began = time.perf_counter()
    for a in articles * 10:
        story_print(a.record)
    keys_ms = 1000 * (time.perf_counter() - began) / (len(articles) * 10)
    out(f"a batch of {batch} against {stored} stored articles of 3 days (SQLite, in memory):")
    for name, ms in timings.items():
        out(f"  assign_clusters {name}: {ms:.2f} ms per article")
    out(f"  story keys of one article (lexicon, figures, dates): {keys_ms:.2f} ms")


def _copy(articles: list[Labelled], n: int, start: datetime) -> ArticleRecord:
    """The n-th synthetic article: a labelled one under a new URL, spread over 3 days."""
    base = articles[n % len(articles)].record
    at = start - timedelta(minutes=(n * 7) % (3 * 24 * 60))
    text = f"{base.text} ({n})"
    return dataclasses.replace(
        base,
        url=f"{base.url}/{n}",
        text=text,
        published=at,
        fetched_at=at,
        simhash=fingerprint(text),
    )


if __name__ == "__main__":
    report()
    if os.environ.get("WIREWATCH_CORPUS"):
        corpus_links(Path(os.environ["WIREWATCH_CORPUS"]))
    if "--scale" in sys.argv:
        cost_at_scale()
