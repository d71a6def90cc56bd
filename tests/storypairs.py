"""The hand-labelled story pairs and how story groupings are scored on them.

The set (``tests/fixtures/story_pairs/articles.toml``) is hand-written wire copy in
English, Russian and Japanese, each article labelled with the event it reports. Every
pair of articles published within two days of each other is a labelled pair: the same
story when the events are equal. Most events share a topic and a day, so most negative
pairs are hard ones.

Two ways of grouping are scored, overall and split within one language / across two:

- ``simhash``: the old clusters, simhash within `storage.identity.MAX_DISTANCE` bits;
- ``stored``: the clusters the store pipeline writes (simhash, then story keys), made by
  storing the articles in publication order into a fresh SQLite database, exactly as a
  crawl does.

Used by ``tests/test_story_links.py`` (floors) and ``benchmarks/story_pairs.py`` (numbers).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path

from sqlalchemy import create_engine

from pipelines.simhash import distance, fingerprint
from pipelines.storykeys import LINKER, THRESHOLD, link_score, story_keys, story_print
from pipelines.topics import compile_topics
from storage import identity
from storage.db import make_sessionmaker
from storage.migrate import upgrade
from storage.records import ArticleRecord
from storage.writes import start_run, store_articles

PAIR_SET = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "story_pairs"
PAIR_WINDOW = timedelta(days=2)
"""Articles further apart than this are not paired (no story lasts longer here)."""


@dataclass(frozen=True, slots=True)
class Labelled:
    """One hand-written article and the event it reports."""

    id: str
    event: str
    record: ArticleRecord


@dataclass(frozen=True, slots=True)
class Scores:
    """Pairwise counts of one grouping over one slice of the pairs."""

    tp: int
    fp: int
    fn: int
    positives: int
    pairs: int

    @property
    def precision(self) -> float:
        """Share of linked pairs that are one story (1.0 when nothing is linked)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """Share of same-story pairs that are linked."""
        return self.tp / self.positives if self.positives else 1.0


def load(path: Path = PAIR_SET / "articles.toml") -> list[Labelled]:
    """The labelled articles, each as the record the pipeline would store (topics flagged)."""
    with files("wirewatch").joinpath("default_topics.toml").open("rb") as fh:
        matcher = compile_topics(tomllib.load(fh)["topics"])
    with path.open("rb") as fh:
        raw = tomllib.load(fh)["article"]
    found = []
    for item in raw:
        title, text = item["title"], item["body"]
        record = ArticleRecord(
            url=f"https://{item['outlet']}.example/{item['id']}",
            source=item["outlet"],
            title=title,
            author=None,
            published=item["published"],
            published_origin="meta",
            language=item["lang"],
            sitename=None,
            text=text,
            content_hash=hashlib.sha256(f"{title}\n{text}".encode()).hexdigest(),
            fetched_at=item["published"] + timedelta(minutes=5),
            matches=tuple(matcher.match(title, text, language=item["lang"])),
            simhash=fingerprint(text),
        )
        found.append(Labelled(item["id"], item["event"], record))
    return found


def pairs(articles: list[Labelled]) -> list[tuple[Labelled, Labelled]]:
    """Every pair published within `PAIR_WINDOW` of each other."""
    return [
        (a, b)
        for a, b in itertools.combinations(articles, 2)
        if abs(when(a) - when(b)) <= PAIR_WINDOW
    ]


def score(
    labelled: list[tuple[Labelled, Labelled]], linked: Callable[[Labelled, Labelled], bool]
) -> dict[str, Scores]:
    """Scores of a grouping overall, within one language and across languages."""
    slices: dict[str, list[tuple[bool, bool]]] = {"all": [], "within": [], "cross": []}
    for a, b in labelled:
        truth, said = a.event == b.event, linked(a, b)
        slices["all"].append((truth, said))
        same = a.record.language == b.record.language
        slices["within" if same else "cross"].append((truth, said))
    return {
        name: Scores(
            tp=sum(t and s for t, s in found),
            fp=sum(s and not t for t, s in found),
            fn=sum(t and not s for t, s in found),
            positives=sum(t for t, _ in found),
            pairs=len(found),
        )
        for name, found in slices.items()
    }


def simhash_linked(a: Labelled, b: Labelled) -> bool:
    """The old identity: two texts within `identity.MAX_DISTANCE` bits."""
    sa, sb = a.record.simhash or 0, b.record.simhash or 0
    return distance(sa, sb) <= identity.MAX_DISTANCE


def stored_clusters(articles: list[Labelled]) -> tuple[dict[str, int], float]:
    """Cluster id per article id as the store pipeline writes them, and ms per article
    spent in story keys and clustering."""
    engine = create_engine("sqlite://")
    upgrade(engine)
    ordered = sorted(articles, key=when)
    clusters: dict[str, int] = {}
    spent = 0.0
    with make_sessionmaker(engine)() as session:
        run = start_run(session, sorted({a.record.source for a in articles}))
        for item in ordered:
            store_articles(session, run, [item.record])
            started = time.perf_counter()
            found = identity.assign_clusters(session, [story_print(item.record)], linker=LINKER)
            spent += time.perf_counter() - started
            clusters[item.id] = found[item.record.url]
        session.commit()
    engine.dispose()
    return clusters, 1000 * spent / len(articles)


def report(out: Callable[[str], object] = print) -> dict[str, dict[str, Scores]]:
    """Print and return the scores of every grouping."""
    articles = load()
    labelled = pairs(articles)
    clusters, cost = stored_clusters(articles)
    results = {
        "simhash": score(labelled, simhash_linked),
        "stored": score(labelled, lambda a, b: clusters[a.id] == clusters[b.id]),
    }
    langs = sorted({a.record.language or "?" for a in articles})
    out(f"{len(articles)} articles ({', '.join(langs)}), {len(labelled)} pairs")
    out(f"{'grouping':<9} {'slice':<7} {'pairs':>6} {'same':>5} {'P':>6} {'R':>6}  tp fp fn")
    for name, slices in results.items():
        for part, s in slices.items():
            out(
                f"{name:<9} {part:<7} {s.pairs:>6} {s.positives:>5} "
                f"{s.precision:>6.3f} {s.recall:>6.3f}  {s.tp} {s.fp} {s.fn}"
            )
    out(f"stored clusters: {cost:.2f} ms per article (story keys + assign, SQLite)")
    return results


def corpus_links(corpus: Path, out: Callable[[str], object] = print) -> list[tuple[str, str]]:
    """Pairs the linker joins among one day's real TASS politics stories (the corpus's
    ``texts/tass-scraper-opnweb``), printed by title for a reader to judge: none of them
    is labelled, so this shows false links, not a precision."""
    path = corpus / "texts" / "tass-scraper-opnweb" / "politics_20.json"
    if not path.is_file():
        return []
    stories = []
    for item in json.loads(path.read_text(encoding="utf-8")):
        at = datetime.fromisoformat(item["date"]).replace(tzinfo=UTC)
        keys = story_keys(item["title"], " ".join(item["content"]), (), at)
        stories.append((item["title"], at, keys))
    linked = [
        (a[0], b[0])
        for a, b in itertools.combinations(stories, 2)
        if link_score(a[2], b[2], a[1], b[1]) >= THRESHOLD
    ]
    out(f"corpus: {len(stories)} TASS politics stories of one day, {len(linked)} pairs linked")
    for a, b in linked:
        out(f"  {a[:60]} | {b[:60]}")
    return linked


def when(item: Labelled) -> datetime:
    return item.record.published or item.record.fetched_at
