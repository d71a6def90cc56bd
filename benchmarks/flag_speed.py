"""How fast the default topics compile and flag documents.

    .venv/bin/python -m benchmarks.flag_speed
    WIREWATCH_CORPUS=../shared/corpus .venv/bin/python -m benchmarks.flag_speed

Prints compile time (and the pickle round trip a worker process pays), then documents per
second and microseconds per document for (a) the hand-written fixtures repeated, (b) the
corpus texts (``texts/``) when WIREWATCH_CORPUS is set, (c) the corpus texts glued into
~5,000-character documents, the size the field notes measured, and (d) the hand-written
labelled wire copy (``tests/fixtures/topics_eval/wire.jsonl``), mostly on topic, so most
documents go through proximity, sentences and relevance. For each it prints the share
of the per-article pipeline time that flagging takes, taking trafilatura's 40-60 ms of CPU
per page as the rest of the pipeline (the target is under 2%).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import pickle
import statistics
import sys
import time
import tomllib
from collections import Counter
from importlib.resources import files
from pathlib import Path

from pipelines.topics import TopicMatcher, compile_topics

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "topics"
WIRE_SET = FIXTURES.parent / "topics_eval" / "wire.jsonl"
Doc = tuple[str, str]


def default_spec() -> dict:
    """The built-in topic tables."""
    with files("wirewatch").joinpath("default_topics.toml").open("rb") as fh:
        return tomllib.load(fh)["topics"]


def fixture_docs() -> list[Doc]:
    """(title, text) of every hand-written fixture."""
    docs = []
    for path in sorted(FIXTURES.glob("*.txt")):
        head, body = path.read_text(encoding="utf-8").split("\n---\n", 1)
        title = next(x for x in head.splitlines() if x.startswith("title: "))[7:]
        docs.append((title, body))
    return docs


def wire_docs() -> list[Doc]:
    """(title, text) of the hand-written labelled wire copy."""
    with WIRE_SET.open(encoding="utf-8") as fh:
        return [(d["title"], d["text"]) for d in map(json.loads, fh) if d]


def corpus_docs(root: Path) -> list[Doc]:
    """(title, text) of the plain-text corpus files (CSV and JSON; the tarball is skipped)."""
    docs: list[Doc] = []
    texts = root / "texts"
    csv.field_size_limit(1 << 28)
    for path in sorted(texts.rglob("*.csv.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            docs += [(r.get("title", ""), r["text"]) for r in csv.DictReader(fh)]
    for path in sorted(texts.rglob("*.json.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            docs += [(d.get("title", ""), d["text"]) for d in map(json.loads, fh) if d]
    for path in sorted(texts.rglob("*.json")):
        for d in json.loads(path.read_text(encoding="utf-8")):
            docs.append((d["title"], "\n".join(d["content"])))
    return docs


def glued(docs: list[Doc], size: int = 5000) -> list[Doc]:
    """Documents of about ``size`` characters made by concatenating texts."""
    out: list[Doc] = []
    buf = io.StringIO()
    for _ in range(4):
        for title, text in docs:
            buf.write(text + "\n")
            if buf.tell() >= size:
                out.append((title, buf.getvalue()[:size]))
                buf = io.StringIO()
    return out


def time_compile(spec: dict, rounds: int = 30) -> None:
    """Median compile and pickle round-trip times."""
    compiles, trips = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        matcher = compile_topics(spec)
        t1 = time.perf_counter()
        pickle.loads(pickle.dumps(matcher))
        trips.append(time.perf_counter() - t1)
        compiles.append(t1 - t0)
    forms = matcher.form_count
    print(f"compile_topics: {statistics.median(compiles) * 1e3:.2f} ms median ({forms} forms)")
    print(f"pickle round trip (re-compiles in the worker): {statistics.median(trips) * 1e3:.2f} ms")


def time_match(
    label: str, matcher: TopicMatcher, docs: list[Doc], min_seconds: float = 2.0
) -> None:
    """Documents/second over ``docs``, repeated until ``min_seconds`` have passed."""
    flagged = Counter(r.topic for title, text in docs for r in matcher.match(title, text))
    chars = sum(len(a) + len(b) for a, b in docs) / len(docs)
    n = 0
    t0, c0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < min_seconds:
        for title, text in docs:
            matcher.match(title, text)
        n += len(docs)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    per_doc = cpu / n
    print(
        f"{label}: {len(docs)} docs x{n // len(docs)}, {chars:,.0f} chars/doc: "
        f"{n / elapsed:,.0f} docs/s wall, {n / cpu:,.0f} docs/s CPU, "
        f"{elapsed / n * 1e6:,.1f} µs/doc wall ({per_doc * 1e6:,.1f} µs/doc CPU); "
        f"flagged per pass {dict(flagged) or 'none'}"
    )
    share = ", ".join(f"{per_doc / (per_doc + ms / 1e3):.2%} at {ms} ms" for ms in (40, 60))
    print(f"    share of per-article pipeline time (CPU): {share}")


def main() -> int:
    """Run the benchmark and print the numbers."""
    spec = default_spec()
    time_compile(spec)
    matcher = compile_topics(spec)
    time_match("(a) fixtures", matcher, fixture_docs())
    time_match("(d) labelled wire copy", matcher, wire_docs())
    corpus = os.environ.get("WIREWATCH_CORPUS")
    if not corpus:
        print("(b) corpus: skipped, WIREWATCH_CORPUS is not set")
        return 0
    docs = corpus_docs(Path(corpus))
    time_match("(b) corpus texts", matcher, docs)
    time_match("(c) corpus glued to 5,000 chars", matcher, glued(docs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
