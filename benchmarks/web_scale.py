"""Server time of the web site's pages over a database of one million articles.

    .venv/bin/python -m benchmarks.web_scale [--articles 1000000] [--db PATH] [--rebuild]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/wirewatch_web_bench]
        [--requests 40] [--skip-postgres]

Builds (once; reused while it exists) the SQLite database of `benchmarks.report_scale`
with its articles spread up to today, then makes every 20th article Russian and every
20th Japanese (one in ten of those names Кунашир / 北方領土 and 国後島), gives each
article the story cluster of its story (same title), and builds the full-text indexes.
The same rows are copied into PostgreSQL (a database of its own, dropped and recreated
when ``--rebuild``). Then, per database, the site runs in a thread of this process and is
asked ``--requests`` times per page, with varying topics, ids, cursors and words; the
numbers are the server's own time per request (its ``Server-Timing`` header), p50 and p95.
"""

from __future__ import annotations

import argparse
import random
import socket
import sqlite3
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.report_scale import SOURCES, START, TOPICS, build_db
from pipelines.morph import search_forms
from storage.db import make_engine
from storage.migrate import upgrade
from web.server import start_in_thread
from web.settings import SiteSource, WebSettings

RU = "Учения на Кунашире прошли {n}; Япония заявила протест, Москва ответила."
RU_OTHER = "Правительство обсудило бюджет {n}; депутаты приняли закон о налогах."
JA = "北方領土の国後島でロシア軍が演習{n}、日本政府は抗議した。"
JA_OTHER = "東京都で新しい予算案{n}が発表され、議会で審議される。"
TABLES = ("sources", "articles", "topic_matches", "story_fingerprints")


def enrich(path: Path) -> None:
    """Russian and Japanese articles, story clusters, full-text indexes (SQLite)."""
    con = sqlite3.connect(path)
    con.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
    triggers = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name='articles'"
    ).fetchall()
    for name, _ in triggers:
        con.execute(f"DROP TRIGGER {name}")
    for lang, hit, other in (("ru", RU, RU_OTHER), ("ja", JA, JA_OTHER)):
        rest = 1 if lang == "ru" else 2
        rows = con.execute(f"SELECT id FROM articles WHERE id % 20 = {rest}").fetchall()
        con.executemany(
            "UPDATE articles SET language = ?, title = ?, text = ? WHERE id = ?",
            [
                (
                    lang,
                    (hit if i // 20 % 10 == 0 else other).format(n=i)[:30],
                    (hit if i // 20 % 10 == 0 else other).format(n=i) * 3,
                    i,
                )
                for (i,) in rows
            ],
        )
    first: dict[str, int] = {}
    prints = []
    for article_id, title, published in con.execute("SELECT id, title, published_at FROM articles"):
        prints.append((article_id, 0, first.setdefault(title, article_id), published))
    con.executemany("INSERT OR REPLACE INTO story_fingerprints VALUES (?, ?, ?, ?)", prints)
    con.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
    con.execute(
        "INSERT INTO articles_fts_cjk(rowid, title, text) "
        "SELECT id, title, text FROM articles WHERE language IN ('ja', 'zh', 'ko')"
    )
    for _, sql in triggers:
        con.execute(sql)
    con.commit()
    con.execute("ANALYZE")
    con.close()


def copy_to_postgres(path: Path, url: str) -> None:
    """A fresh PostgreSQL database at ``url`` with the SQLite database's rows."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    src = sqlite3.connect(path)
    import psycopg  # the benchmark's PostgreSQL part needs the postgres extra

    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as pg:
        for table in TABLES:
            cols = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
            with pg.cursor().copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in src.execute(f"SELECT {', '.join(cols)} FROM {table}"):
                    copy.write_row(row)
            print(f"  copied {table}", flush=True)
        pg.execute("SELECT setval('articles_id_seq', (SELECT max(id) FROM articles))")
        pg.commit()
    with psycopg.connect(dsn, autocommit=True) as pg:
        pg.execute("VACUUM ANALYZE")
    src.close()


def pages(path: Path, rng: random.Random, n: int, client: httpx.Client) -> dict[str, list[str]]:
    """The URLs asked for, per page kind."""
    con = sqlite3.connect(path)
    top = con.execute("SELECT max(id) FROM articles").fetchone()[0]
    words = [w for (t,) in con.execute("SELECT title FROM articles LIMIT 200") for w in t.split()]
    con.close()
    cursors = []
    for topic in TOPICS:  # cursors of pages 2..6 of each topic, from the site itself
        url = f"/api/articles?topic={topic}&limit=50"
        for _ in range(5):
            cursor = client.get(url).json()["next_cursor"]
            cursors.append((topic, cursor))
            url = f"/api/articles?topic={topic}&limit=50&cursor={cursor}"
    return {
        "home": ["/"] * n,
        "topic": [f"/topics/{rng.choice(TOPICS)}" for _ in range(n)],
        "topic, pages 2-6": [f"/topics/{t}?cursor={c}" for t, c in rng.choices(cursors, k=n)],
        "article": [f"/articles/{rng.randint(1, top)}" for _ in range(n)],
        "search en": [f"/search?q={rng.choice(words).lower()}" for _ in range(n)],
        "search ru": [
            f"/search?q={rng.choice(['Кунашире', 'Кунашир', 'бюджета'])}" for _ in range(n)
        ],
        "search ja 3+ chars": [f"/search?q={rng.choice(['北方領土', '国後島'])}" for _ in range(n)],
        "search ja 2 chars": ["/search?q=国後"] * n,
        "feed": [f"/topics/{rng.choice(TOPICS)}.atom" for _ in range(n)],
        "api": [f"/api/articles?topic={rng.choice(TOPICS)}&limit=50" for _ in range(n)],
    }


def measure(url: str, path: Path, requests: int) -> None:
    """Serve ``url`` in a thread and print the server time per page."""
    settings = WebSettings(
        database_url=url,
        topics={t: t for t in TOPICS},
        sources=[SiteSource(s, True, "en", "UTC") for s in SOURCES],
        port=free_port(),
        expand=search_forms,
    )
    handle = start_in_thread(settings)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{settings.port}", timeout=120) as client:
            for kind, urls in pages(path, random.Random(7), requests, client).items():
                first = client.get(urls[0])  # warm-up; the home page's trend counts are cached
                cold = float(first.headers["server-timing"].split("dur=")[1])
                server, wall = [], []
                for page in urls:
                    t0 = time.perf_counter()
                    response = client.get(page)
                    wall.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200, (page, response.status_code)
                    timing = response.headers["server-timing"]
                    server.append(float(timing.split("dur=")[1]))
                print(
                    f"  {kind:19s} server p50 {statistics.median(server):7.1f} ms  "
                    f"p95 {_p95(server):7.1f} ms  max {max(server):7.1f} ms   "
                    f"(client p95 {_p95(wall):7.1f} ms; first {cold:7.1f} ms)",
                    flush=True,
                )
    finally:
        handle.stop()


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    """Build the databases if needed, then time the pages on each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/wirewatch-web-bench.db"))
    parser.add_argument(
        "--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/wirewatch_web_bench"
    )
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    if args.rebuild or not args.db.exists():
        t0 = time.perf_counter()
        days = (datetime.now(UTC) - START).days
        build_db(args.db, args.articles, days)
        print(f"built {args.db} in {time.perf_counter() - t0:.1f} s", flush=True)
        enrich(args.db)
        print(f"enriched and indexed in {time.perf_counter() - t0:.1f} s", flush=True)
        if not args.skip_postgres:
            copy_to_postgres(args.db, args.pg_url)
            print(f"copied to PostgreSQL in {time.perf_counter() - t0:.1f} s", flush=True)
    con = sqlite3.connect(args.db)
    count = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    con.close()
    print(f"{count:,} articles; {args.requests} requests per page")
    print("SQLite:")
    measure(f"sqlite:///{args.db}", args.db, args.requests)
    if not args.skip_postgres:
        print("PostgreSQL:")
        measure(args.pg_url, args.db, args.requests)


if __name__ == "__main__":
    main()
