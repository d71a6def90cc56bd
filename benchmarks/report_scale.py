"""How long one day's report takes over a SQLite database of one million articles.

    .venv/bin/python -m benchmarks.report_scale [--articles 1000000] [--db PATH] [--rebuild]

Builds (once; reused while it exists) a database migrated to head and filled with bulk
inserts: ``--articles`` articles spread evenly over ``--days`` days and 10 sources, a
third of them matching one of three topics (some two), each a republication of one
of ``articles / 3`` stories (same title; random day; its stored story cluster named by
its first article), 24 crawl runs a day with
per-source counts, and about 50 fetch failures a day. The FTS triggers are dropped for
the load (the report does not search) and recreated after; ``article_versions`` is left
empty (the report does not read it). Then it times, in this process after one warm-up,
the report of a day in the middle: the queries and story grouping (`build_report`), each
text format, and the chart, and prints the query plans of the day's queries.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from reports.build import build_report
from reports.chart import trend_svg
from reports.render import FORMATS, render_report, svg_data_uri
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade

SOURCES = [f"wire-{n}" for n in range(10)]
TOPICS = ["kuril", "peace_treaty", "sanctions"]
START = datetime(2024, 1, 1, tzinfo=UTC)
SYLLABLES = [c + v for c in "bdgkmnprstvz" for v in "aeiou"]


def _title(vocab: list[str], story: int) -> str:
    """The title of a story: eight words of the vocabulary, the same for every outlet."""
    pick = random.Random(story)
    return " ".join(pick.choice(vocab) for _ in range(8)).capitalize()


def _ts(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def build_db(path: Path, articles: int, days: int) -> None:
    """Create and fill the benchmark database with bulk inserts."""
    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    con = sqlite3.connect(path)
    con.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
    triggers = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name='articles'"
    ).fetchall()
    for name, _ in triggers:
        con.execute(f"DROP TRIGGER {name}")
    rng = random.Random(42)
    con.executemany(
        "INSERT INTO sources (id, name, language, created_at) VALUES (?, ?, 'en', ?)",
        [(i + 1, s, _ts(START)) for i, s in enumerate(SOURCES)],
    )
    vocab = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(5000)]
    step = days * 86400 / articles
    batch_a, batch_m, batch_p = [], [], []
    roots: dict[int, int] = {}  # story -> the id of its first article: its stored cluster
    match_id = 0
    for i in range(1, articles + 1):
        published = START + timedelta(seconds=i * step)
        story = rng.randrange(articles // 3 or 1)
        title = _title(vocab, story)
        text = f"{title}. " * 3
        version = 2 if rng.random() < 0.1 else 1
        ts = _ts(published)
        batch_p.append((i, 0, roots.setdefault(story, i), ts))
        batch_a.append(
            (
                i,
                f"https://wire{i % 10}.example/{i}",
                1 + i % 10,
                title,
                None,
                ts,
                "meta",
                "en",
                None,
                text,
                f"{i:064x}",
                version,
                ts,
                ts,
                ts if version > 1 else None,
                None,
                None,  # published_note (migration 0009)
            )
        )
        if rng.random() < 1 / 3:
            for topic in rng.sample(TOPICS, 2 if rng.random() < 0.2 else 1):
                match_id += 1
                batch_m.append(
                    (
                        match_id,
                        i,
                        topic,
                        round(rng.uniform(1, 5), 2),
                        json.dumps({topic: 1}),
                        "[]",
                        text[:200],
                        json.dumps([[0, 5]]),
                        ts,
                        "about",  # relevance (migration 0006)
                    )
                )
        if len(batch_a) >= 50_000:
            _flush(con, batch_a, batch_m, batch_p)
    _flush(con, batch_a, batch_m, batch_p)
    runs, run_sources, failures = [], [], []
    for d in range(days):
        for h in range(24):
            run_id = d * 24 + h + 1
            started = START + timedelta(days=d, hours=h)
            finished = _ts(started + timedelta(minutes=5))
            runs.append((run_id, _ts(started), finished, "ok", None, None, None))
            for s in SOURCES:
                down = s == "wire-9" and d % 5 == 0
                run_sources.append(
                    (run_id, s, 0 if down else 4, 0 if down else 2, 0, 2, 1, int(down))
                )
        for n in range(50):
            when = START + timedelta(days=d, seconds=n * 1700)
            failures.append(
                (
                    None,
                    SOURCES[n % 10],
                    f"https://x/{d}/{n}",
                    "download",
                    "HTTP 503",
                    503,
                    _ts(when),
                )
            )
    con.executemany("INSERT INTO crawl_runs VALUES (?, ?, ?, ?, ?, ?, ?)", runs)
    con.executemany("INSERT INTO crawl_run_sources VALUES (?, ?, ?, ?, ?, ?, ?, ?)", run_sources)
    con.executemany(
        "INSERT INTO fetch_failures (run_id, source, url, stage, reason, http_status, occurred_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        failures,
    )
    for _, sql in triggers:
        con.execute(sql)
    con.commit()
    con.execute("ANALYZE")
    con.close()


def _flush(
    con: sqlite3.Connection, articles: list[tuple], matches: list[tuple], prints: list[tuple]
) -> None:
    con.executemany(f"INSERT INTO articles VALUES ({', '.join('?' * 17)})", articles)
    con.executemany("INSERT INTO topic_matches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", matches)
    con.executemany("INSERT INTO story_fingerprints VALUES (?, ?, ?, ?)", prints)
    articles.clear()
    matches.clear()
    prints.clear()


def _best(fn, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main() -> None:
    """Build the database if needed, then time one day's report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=1000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/wirewatch-report-bench.db"))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.rebuild or not args.db.exists():
        t0 = time.perf_counter()
        build_db(args.db, args.articles, args.days)
        print(f"built {args.db} in {time.perf_counter() - t0:.1f} s")
    con = sqlite3.connect(args.db)
    n_articles = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    n_matches = con.execute("SELECT count(*) FROM topic_matches").fetchone()[0]
    con.close()
    day = (START + timedelta(days=args.days // 2)).date()
    engine = make_engine(f"sqlite:///{args.db}")
    session = make_sessionmaker(engine)()
    report = build_report(session, day, "Europe/Moscow", TOPICS, SOURCES)  # warm-up
    chart = trend_svg(report)
    matches = sum(t["count"] for t in report["topics"])
    print(
        f"{n_articles:,} articles, {n_matches:,} topic matches; report of {day}: "
        f"{matches} matches, {sum(len(t['stories']) for t in report['topics'])} stories"
    )
    rows = [
        (
            "build_report (queries + stories)",
            _best(
                lambda: build_report(session, day, "Europe/Moscow", TOPICS, SOURCES), args.repeat
            ),
        )
    ]
    for fmt in FORMATS:
        src = svg_data_uri(chart) if fmt == "html" else None
        rows.append(
            (
                f"render {fmt}",
                _best(lambda f=fmt, s=src: render_report(report, f, chart_src=s), args.repeat),
            )
        )
    rows.append(("chart (SVG)", _best(lambda: trend_svg(report), args.repeat)))

    def everything() -> None:
        data = build_report(session, day, "Europe/Moscow", TOPICS, SOURCES)
        svg = trend_svg(data)
        for fmt in FORMATS:
            render_report(data, fmt, chart_src=svg_data_uri(svg) if fmt == "html" else None)

    rows.append(("all: build + chart + 4 formats", _best(everything, args.repeat)))
    for name, (best, median) in rows:
        print(f"{name:36s} best {best * 1000:8.1f} ms   median {median * 1000:8.1f} ms")
    session.close()
    _plans(args.db, day)
    engine.dispose()


def _plans(path: Path, day: date) -> None:
    con = sqlite3.connect(path)
    start = _ts(datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=3))
    end = _ts(datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=21))
    for label, sql in [
        (
            "day matches",
            "SELECT * FROM topic_matches JOIN articles ON articles.id = topic_matches.article_id"
            " WHERE articles.published_at >= ? AND articles.published_at < ?"
            " AND topic_matches.topic IN ('kuril')",
        ),
        (
            "crawl runs",
            "SELECT * FROM crawl_run_sources"
            " JOIN crawl_runs ON crawl_runs.id = crawl_run_sources.run_id"
            " WHERE crawl_runs.started_at >= ? AND crawl_runs.started_at < ?",
        ),
        ("failures", "SELECT * FROM fetch_failures WHERE occurred_at >= ? AND occurred_at < ?"),
    ]:
        plan = [r[3] for r in con.execute(f"EXPLAIN QUERY PLAN {sql}", (start, end))]
        print(f"plan {label}: " + "; ".join(plan))
    con.close()


if __name__ == "__main__":
    main()
