"""Publication times: minute-exact, day-exact and missing rates, per winning origin.

    WIREWATCH_CORPUS=../shared/corpus python -m benchmarks.dates_corpus [--variants 12]

Two sets, each printed per origin of the chosen time (``meta``, ``jsonld``, ...; ``none``
when nothing was stored) and per kind:

* ``corpus``: every corpus page with a timed ground truth (fundus, newspaper, readability,
  tgcontest; read with ``tests.test_corpus_extraction.load_truths``), and ``corpus-day``:
  the htmldate pages whose manifest names the publication day (day-exact compares the UTC
  day, so a story published at 07:00 in Tokyo counts as a miss there);
* ``handwritten``: pages written here, one template per kind of declaration (JSON-LD in a
  Yoast ``WebPage``, ``@graph``, arrays, nested ``mainEntity``, any ``@type``; RDFa and
  microdata; ``<time pubdate>``; the CMS meta keys; Russian and Japanese written forms;
  agreeing and dissenting candidates; impossible, future and modified-only values), each
  filled with ``--variants`` different instants and UTC offsets.

For the kinds that declare no usable time (an impossible offset, a modified time only),
"exact" means that nothing was stored. The time is chosen exactly as in a crawl
(``pipelines.extraction.publication_time``), with no feed time and a fixed fetch time.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from trafilatura.utils import load_html

from pipelines.encoding import decode_html
from pipelines.extraction import publication_time
from tests.test_corpus_extraction import load_truths
from wirecore.dates import zone

NOW = datetime(2030, 1, 1, tzinfo=UTC)
Case = tuple[
    str, str, bytes, str, str | None, datetime | date | None
]  # set, kind, body, url, tz, truth

_LD = '<script type="application/ld+json">{}</script>'
_MONTHS_RU = "января февраля марта апреля мая июня июля августа сентября октября ноября декабря"
# kind -> (head, body, source_tz, expected: "instant" | "day" | "none"); {iso} is the instant
# written with its offset, {utc} in UTC with Z, {wall} local wall clock without offset,
# {other} a different instant, {ru}/{ja} Russian and Japanese written forms of local time
_KINDS: dict[str, tuple[str, str, str | None, str]] = {
    "jsonld-yoast-webpage": (
        _LD.format(
            '{"@graph": [{"@type": "Article", "isPartOf": {"@id": "#w"}},'
            ' {"@type": "WebPage", "@id": "#w", "datePublished": "{iso}",'
            ' "dateModified": "{other}"}]}'
        ),
        "",
        None,
        "instant",
    ),
    "jsonld-array-any-type": (
        _LD.format(
            '[{"@type": "BreadcrumbList"}, {"@type": "CreativeWork", "datePublished": "{iso}"}]'
        ),
        "",
        None,
        "instant",
    ),
    "jsonld-nested-mainentity": (
        _LD.format(
            '{"@type": "WebPage", "mainEntity": {"@type": "NewsArticle", "datePublished": "{iso}"}}'
        ),
        "",
        None,
        "instant",
    ),
    "jsonld-datecreated": (
        _LD.format('{"@type": "ItemPage", "dateCreated": "{iso}"}'),
        "",
        None,
        "instant",
    ),
    "microdata": ("", '<span itemprop="datePublished" content="{iso}">x</span>', None, "instant"),
    "rdfa-dc-date": ("", '<span property="dc:date" content="{iso}"></span>', None, "instant"),
    "time-pubdate": ("", '<time pubdate datetime="{iso}">x</time>', None, "instant"),
    "og:published_time": (
        '<meta property="og:published_time" content="{iso}">',
        "",
        None,
        "instant",
    ),
    "parsely-pub-date": ('<meta name="parsely-pub-date" content="{utc}">', "", None, "instant"),
    "sailthru.date": ('<meta name="sailthru.date" content="{iso}">', "", None, "instant"),
    "dc.date": ('<meta name="dc.date" content="{iso}">', "", None, "instant"),
    "meta-date-local": ('<meta name="date" content="{wall}">', "", "Europe/Moscow", "instant"),
    "pubdate-local": ('<meta name="pubdate" content="{wall}">', "", "Asia/Tokyo", "instant"),
    "ru-written": (
        "",
        '<time class="article-publish-date">{ru}</time>',
        "Europe/Moscow",
        "instant",
    ),
    "ja-written": ("", '<time class="publish">{ja}</time>', "Asia/Tokyo", "instant"),
    "two-agree-one-dissents": (
        '<meta property="article:published_time" content="{other}">'
        + _LD.format('{"@type": "NewsArticle", "datePublished": "{iso}"}'),
        '<time pubdate datetime="{utc}">x</time>',
        None,
        "instant",
    ),
    "utc-pair-vs-zoned-wall": (
        '<meta property="article:published_time" content="{utc}">'
        '<meta property="og:article:published_time" content="{utc}">'
        + _LD.format('{"@type": "NewsArticle", "datePublished": "{utcwall}+04:00"}'),
        "",
        None,
        "instant",
    ),
    "local-meta-vs-explicit-jsonld": (
        '<meta name="date" content="{wall}">'
        + _LD.format('{"@type": "NewsArticle", "datePublished": "{utc}"}'),
        "",
        None,
        "instant",
    ),
    "impossible-then-jsonld": (
        '<meta property="article:published_time" content="2026-02-30T10:00:00+03:00">'
        + _LD.format('{"@type": "NewsArticle", "datePublished": "{iso}"}'),
        "",
        None,
        "instant",
    ),
    "future-then-jsonld": (
        '<meta property="article:published_time" content="2099-01-01T10:00:00Z">'
        + _LD.format('{"@type": "NewsArticle", "datePublished": "{iso}"}'),
        "",
        None,
        "instant",
    ),
    "bad-offset-only": (
        '<meta property="article:published_time" content="{wall}-25:00">',
        "",
        None,
        "none",
    ),
    "modified-only": (
        '<meta property="article:modified_time" content="{iso}">'
        + _LD.format('{"@type": "NewsArticle", "dateModified": "{iso}"}'),
        "",
        None,
        "none",
    ),
}


def handwritten(variants: int) -> Iterator[Case]:
    """Every hand-written kind, filled with ``variants`` instants and offsets."""
    for n in range(variants):
        instant = datetime(
            2026, 1 + n % 12, 1 + (n * 7) % 28, (n * 5) % 24, (n * 13) % 60, tzinfo=UTC
        )
        for kind, (head, body, tz, expected) in _KINDS.items():
            offset = timezone(timedelta(minutes=(n * 105) % (23 * 60) - 11 * 60))
            local_tz = offset if tz is None else zone(tz)
            local = instant.astimezone(local_tz)
            values = {
                "iso": local.isoformat(),
                "utc": instant.isoformat().replace("+00:00", "Z"),
                "utcwall": instant.replace(tzinfo=None).isoformat(),
                "wall": local.replace(tzinfo=None).isoformat(),
                "other": (instant - timedelta(hours=5, minutes=17)).isoformat(),
                "ru": f"{local.day} {_MONTHS_RU.split()[local.month - 1]} {local.year}, "
                f"{local:%H:%M}",
                "ja": f"{local.year}年{local.month}月{local.day}日 {local:%H時%M分}",
            }
            page = f"<html><head>{_fill(head, values)}</head><body>{_fill(body, values)}<p>x</p>"
            truth = None if expected == "none" else instant
            yield "handwritten", kind, page.encode(), "https://wire.example.com/a/1", tz, truth


def corpus(root: Path) -> Iterator[Case]:
    """Corpus pages with a timed truth, and htmldate pages with a day."""
    for truth in load_truths(root):
        if truth.published is not None:
            body = gzip.decompress(truth.path.read_bytes())
            yield "corpus", truth.path.parent.name, body, truth.url, None, truth.published
    with (root / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            day = re.search(r"publication date \((\d{4}-\d{2}-\d{2})\)", row["ground_truth"])
            if row["source"] == "htmldate" and day:
                body = gzip.decompress((root / row["file"]).read_bytes())
                truth = date.fromisoformat(day[1])
                yield "corpus-day", "htmldate", body, row["url"], None, truth


def score(cases: Iterator[Case]) -> dict[tuple[str, str], list[int]]:
    """(set, "origin:..."/"kind:...") -> [pages, minute-exact, day-exact, missing]."""
    table: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for name, kind, body, url, tz, truth in cases:
        tree = load_html(decode_html(body, None))
        found, _ = publication_time(tree, url, feed_published=None, now=NOW, source_tz=tz)
        origin = found.origin if found else "none"
        value = found.value if found else None
        for key in (f"origin:{origin}", f"kind:{kind}", "all"):
            row = table[(name, key)]
            row[0] += 1
            row[1] += _minute_exact(value, truth, found is not None and found.has_time)
            row[2] += _day_exact(value, truth)
            row[3] += value is None
    return table


def _minute_exact(value: datetime | None, truth: datetime | date | None, timed: bool) -> int:
    if truth is None:
        return int(value is None)
    if not isinstance(truth, datetime):
        return 0
    return int(value is not None and timed and abs((value - truth).total_seconds()) < 60)


def _day_exact(value: datetime | None, truth: datetime | date | None) -> int:
    if truth is None or value is None:
        return int(truth is None and value is None)
    day = truth.date() if isinstance(truth, datetime) else truth
    return int(value.date() == day)


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def main() -> None:
    """Score both sets and print one line per origin and per kind."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=os.environ.get("WIREWATCH_CORPUS"))
    parser.add_argument("--variants", type=int, default=12)
    args = parser.parse_args()
    cases: list[Iterator[Case]] = [handwritten(args.variants)]
    if args.corpus and Path(args.corpus).is_dir():
        cases.insert(0, corpus(Path(args.corpus)))
    else:
        print("no corpus (set WIREWATCH_CORPUS): hand-written pages only")
    for chunk in cases:
        table = score(chunk)
        for (name, key), (pages, exact, day, missing) in sorted(table.items()):
            print(
                f"{name:11} {key:38} pages {pages:4}  minute-exact {exact / pages:6.1%}"
                f"  day-exact {day / pages:6.1%}  missing {missing / pages:6.1%}"
            )


if __name__ == "__main__":
    main()
