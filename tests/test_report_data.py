"""A fixed report database: one day (2026-11-27, Europe/Moscow) with every case in it.

Imported by the other report tests. The day has a wire story republished by three
outlets, a Japanese article, an article updated after it was first stored, a title and
snippet carrying markup, a ``javascript:`` link, a source that was down, one that was
not crawled, one that returned nothing, and a topic with no matches.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from pipelines.storykeys import LINKER, story_print
from storage import identity
from storage.models import CrawlRun
from storage.records import ArticleRecord, FailureRecord, MatchRecord, SourceCounts
from storage.writes import finish_run, record_failures, start_run, store_articles
from tests.conftest import article

DAY = date(2026, 11, 27)
TZ = "Europe/Moscow"
TOPICS = ["fisheries", "kuril", "peace_treaty"]
SOURCES = ["japantimes", "kyodo-en", "mainichi", "meduza", "nhk-ja", "ria", "tass-en"]
XSS_TITLE = "<script>alert('title')</script> Kuril <img src=x onerror=alert(1)> drills"
XSS_SNIPPET = "islands <img src=x onerror=alert(2)> and <script>alert(3)</script> Kuril talk"


def msk(day: int, hour: int, minute: int = 0) -> datetime:
    """An aware UTC datetime given as Moscow local time (UTC+3) in November 2026."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=3)


def hit(
    topic: str, snippet: str, words: list[str], score: float = 1.0, relevance: str = "about"
) -> MatchRecord:
    """A match whose snippet marks every occurrence of ``words``."""
    spans = []
    for word in words:
        start = snippet.find(word)
        while start >= 0:
            spans.append((start, start + len(word)))
            start = snippet.find(word, start + 1)
    return MatchRecord(
        topic=topic,
        score=score,
        terms={w: snippet.count(w) for w in words},
        hits=[],
        snippet=snippet,
        snippet_hits=sorted(spans),
        relevance=relevance,
    )


STORY = "Japan lodged a protest with Moscow over military drills on the Kuril Islands on Friday."


def _store(session: Session, run: int, records: list[ArticleRecord]) -> None:
    """Store articles and place them in story clusters, as the store pipeline does."""
    outcomes = store_articles(session, run, records)
    changed = [story_print(r) for r, o in zip(records, outcomes, strict=True) if o != "unchanged"]
    identity.assign_clusters(session, changed, linker=LINKER)


def fill(session: Session) -> None:
    """Store the fixed day, its trend history and its crawl runs; commits."""
    run = _run(session, ["tass-en", "kyodo-en", "japantimes", "nhk-ja", "mainichi", "ria"])
    day_articles = [
        article(
            "https://tass.com/politics/1001",
            title="Japan protests Russian military drills on the Kuril Islands",
            text_=STORY,
            source="tass-en",
            published=msk(27, 9, 10),
            matches=(hit("kuril", STORY, ["Kuril Islands"], 3.5),),
        ),
        article(
            "https://english.kyodonews.net/news/2026/11/drills.html",
            title="Japan protests Russian military drills on Kuril Islands",
            text_=STORY,
            source="kyodo-en",
            published=msk(27, 10, 5),
            matches=(hit("kuril", STORY, ["Kuril Islands"], 3.0),),
        ),
        article(
            "https://www.japantimes.co.jp/news/2026/11/27/drills/",
            title="Japan protests Russia's military drills on the Kuril Islands",
            text_=STORY + " More.",
            source="japantimes",
            published=msk(27, 11, 30),
            matches=(hit("kuril", STORY, ["Kuril Islands"], 2.0),),
        ),
        article(
            "https://www3.nhk.or.jp/news/html/20261127/k1.html",
            title="北方領土でロシア軍が演習、日本政府が抗議",
            text_="北方領土でロシア軍が演習を行い、日本政府は抗議した。",
            source="nhk-ja",
            language="ja",
            published=msk(27, 12, 0),
            matches=(
                hit(
                    "kuril",
                    "北方領土でロシア軍が演習を行い、日本政府は抗議した。",
                    ["北方領土"],
                    2.5,
                ),
            ),
        ),
        article(
            "https://tass.com/politics/1002",
            title="Lavrov: peace treaty talks with Tokyo impossible for now",
            text_="Lavrov said a peace treaty with Japan is impossible. The Kurils were mentioned.",
            source="tass-en",
            published=msk(27, 15, 0),
            fetched_at=msk(27, 15, 5),
            matches=(
                hit("peace_treaty", "Lavrov said a peace treaty with Japan", ["peace treaty"], 4),
                hit("kuril", "The Kurils were mentioned.", ["Kurils"], 2.8, "mentions"),
            ),
        ),
        article(
            "javascript:alert(document.cookie)",
            title=XSS_TITLE,
            text_=XSS_SNIPPET,
            source="kyodo-en",
            published=msk(27, 16, 45),
            matches=(hit("kuril", XSS_SNIPPET, ["Kuril"], 1.5),),
        ),
        article(  # 00:10 Moscow is still the 26th in UTC: belongs to the 27th
            "https://ria.ru/20261127/early.html",
            title="Курилы: ранняя заметка",
            text_="Курильские острова упомянуты рано утром.",
            source="ria",
            language="ru",
            published=msk(27, 0, 10),
            matches=(hit("kuril", "Курильские острова упомянуты", ["Курильские острова"], 1.2),),
        ),
        article(  # 00:30 on the 28th in Moscow: not in the report, though the 27th in UTC
            "https://tass.com/politics/1003",
            title="Kuril late note",
            text_="Kuril Islands, next day.",
            source="tass-en",
            published=msk(28, 0, 30),
            matches=(hit("kuril", "Kuril Islands, next day.", ["Kuril Islands"]),),
        ),
    ]
    history = [
        article(
            f"https://tass.com/history/{d}-{n}",
            title=f"Kuril history {d}-{n}",
            text_=f"Kuril note {d} {n}",
            source="tass-en",
            published=msk(d, 8, n),
            matches=(hit("kuril", f"Kuril note {d} {n}", ["Kuril"]),),
        )
        for d in range(1, 27)
        for n in range(d % 4)
    ]
    _store(session, run, day_articles + history)
    updated = article(
        "https://tass.com/politics/1002",
        title="Lavrov: peace treaty talks with Tokyo impossible for now (updated)",
        text_="Lavrov said a peace treaty with Japan is impossible. The Kurils were mentioned. +",
        source="tass-en",
        published=msk(27, 15, 0),
        fetched_at=msk(27, 18, 0),
        matches=day_articles[4].matches,
    )
    _store(session, run, [updated])
    counts = [
        SourceCounts("tass-en", fetched=12, new=3, updated=1),
        SourceCounts("kyodo-en", fetched=5, new=2, failed=1),
        SourceCounts("japantimes", fetched=4, new=1),
        SourceCounts("nhk-ja", fetched=3, new=1),
        SourceCounts("mainichi", fetched=0, failed=3),
        SourceCounts("ria", fetched=2, new=1),
    ]
    finish_run(session, run, status="partial", counts=counts, error=None)
    record_failures(
        session,
        run,
        [
            FailureRecord(
                "mainichi", f"https://mainichi.jp/rss/{n}", "feed", "HTTP 503", 503, msk(27, 6)
            )
            for n in range(3)
        ]
        + [
            FailureRecord(
                "kyodo-en",
                "https://english.kyodonews.net/x",
                "extract",
                "no article text",
                None,
                msk(27, 7),
            ),
            FailureRecord(
                "mainichi", "https://mainichi.jp/rss/old", "feed", "HTTP 500", 500, msk(26, 6)
            ),
        ],
    )
    empty = _run(session, ["japantimes"])
    finish_run(session, empty, status="ok", counts=[SourceCounts("japantimes")], error=None)
    _started(session, run, msk(27, 6))
    _started(session, empty, msk(27, 20))
    session.commit()


def _run(session: Session, sources: list[str]) -> int:
    return start_run(session, sources)


def _started(session: Session, run_id: int, when: datetime) -> None:
    session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(started_at=when))


def test_fixed_day_is_stored(session: Session) -> None:
    from reports.build import day_bounds
    from storage.report_queries import day_matches, source_activity

    fill(session)
    start, end = day_bounds(DAY, TZ)
    matches = day_matches(session, start, end, TOPICS)
    urls = {m.url for m in matches}
    assert "https://ria.ru/20261127/early.html" in urls
    assert "https://tass.com/politics/1003" not in urls
    assert {m.version for m in matches if m.url == "https://tass.com/politics/1002"} == {2}
    assert {a.source for a in source_activity(session, start, end)} >= {"mainichi", "japantimes"}
