"""A small hand-written news database for the web site's tests: real rules, clusters, versions.

Matches come from the built-in topic rules (the real matcher), story clusters from the
real simhash fingerprints, versions from storing a changed text. Times are relative to
now, so "today" on the home page has stories (the newest one stays today even just after
midnight).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipelines.storykeys import LINKER, story_print
from pipelines.topics import compile_topics
from storage import identity
from storage.records import ArticleRecord
from storage.writes import ensure_sources, finish_run, start_run, store_articles
from wirewatch.config import build_config

SOURCES = {"tass-en": "en", "kyodo-en": "en", "tass-ru": "ru", "nhk-ja": "ja", "ria": "ru"}

WIRE = (
    "Russia has deployed new coastal missile systems on Iturup and Kunashir in the southern "
    "Kuril Islands, the Russian defence ministry said on Tuesday. Japan, which calls the "
    "islands its Northern Territories, lodged a protest through diplomatic channels. "
    "Tokyo said the deployment was unacceptable and contradicted Japan's position on the "
    "islands. Moscow said the systems would defend the Kurils. The dispute over the islands "
    "has kept Russia and Japan from signing a peace treaty since the end of World War II."
)
RU_TEXT = (
    "Японию возмутили военные учения на Кунашире, заявил МИД Японии. По данным Минобороны "
    "России, на острове Кунашир и на Итурупе прошли учения береговых ракетных комплексов. "
    "Токио считает Южные Курилы своими «северными территориями». Москва заявила, что учения "
    "на Южных Курилах проходят на территории России."
)
JA_TEXT = (
    "ロシア軍が北方領土の択捉島と国後島で軍事演習を行い、日本政府は外交ルートを通じて"
    "ロシア側に抗議した。松野官房長官は記者会見で、北方領土問題に関する日本の立場と"
    "相いれないと述べた。"
)
XSS_TITLE = "<script>alert('title')</script> Kuril Islands <img src=x onerror=alert(1)>"
XSS_TEXT = (
    "The Kuril Islands dispute between Russia and Japan. <script>alert('text')</script> "
    '<img src=x onerror=alert(2)> <a href="javascript:alert(3)">click</a> Tokyo and Moscow '
    "traded statements about the Kurils."
)
XSS_URL = "javascript:alert(document.domain)//kuril"


@dataclass
class WebData:
    """Ids of the articles the tests look for."""

    wire_tass: int
    wire_kyodo: int
    ru: int
    ja: int
    xss: int
    fillers: int


def _record(
    url: str, source: str, title: str, text: str, lang: str, published: datetime, matcher: object
) -> ArticleRecord:
    matches = tuple(matcher.match(title, text, language=lang))  # type: ignore[attr-defined]
    return ArticleRecord(
        url=url,
        source=source,
        title=title,
        author=None,
        published=published,
        published_origin="meta",
        language=lang,
        sitename=source,
        text=text,
        content_hash=hashlib.sha256(f"{title}\n{text}".encode()).hexdigest(),
        fetched_at=published + timedelta(minutes=5),
        matches=matches,
    )


def fill(session: Session, fillers: int = 45, now: datetime | None = None) -> WebData:
    """Store the articles (commits); return their ids."""
    now = now or datetime.now(UTC)
    config = build_config({}, where="<test>", path=None, env={})
    matcher = compile_topics(config.topics)
    ensure_sources(session, SOURCES)
    run = start_run(session, list(SOURCES))
    hour = timedelta(hours=1)
    # the wire story is "an hour ago", but never yesterday: in the first hour of a UTC day
    # (the site's zone here) it is halfway between midnight and now
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    latest = max(now - hour, now - (now - midnight) / 2)
    records = [
        _record(
            "https://tass.com/defense/2001",
            "tass-en",
            "Russia deploys missile systems on the Kuril Islands",
            WIRE,
            "en",
            latest,
            matcher,
        ),
        _record(
            "https://english.kyodonews.net/news/2026/missiles.html",
            "kyodo-en",
            "Russia deploys missiles on disputed Kuril Islands",
            WIRE + " Kyodo News.",
            "en",
            now - 2 * hour,
            matcher,
        ),
        _record(
            "https://tass.ru/politika/3001",
            "tass-ru",
            "Японию возмутили учения на Кунашире",
            RU_TEXT,
            "ru",
            now - 3 * hour,
            matcher,
        ),
        _record(
            "https://www3.nhk.or.jp/news/html/k1.html",
            "nhk-ja",
            "北方領土でロシア軍が演習 日本政府が抗議",
            JA_TEXT,
            "ja",
            now - 4 * hour,
            matcher,
        ),
        _record(XSS_URL, "ria", XSS_TITLE, XSS_TEXT, "en", now - 5 * hour, matcher),
    ]
    for n in range(fillers):
        text = (
            f"Report {n}: officials in Tokyo discussed the Kuril Islands with Moscow again, "
            f"item {n} of the daily digest, about the Kurils and fishing quotas number {n * 7}."
        )
        records.append(
            _record(
                f"https://tass.com/digest/{n}",
                "tass-en",
                f"Kuril Islands digest number {n}",
                text,
                "en",
                now - (6 + n) * hour,
                matcher,
            )
        )
    store_articles(session, run, records)
    identity.assign_clusters(session, [story_print(r) for r in records], linker=LINKER)
    changed = _record(
        "https://tass.com/defense/2001",
        "tass-en",
        "Russia deploys missile systems on the Kuril Islands",
        WIRE + " Japan summoned the Russian ambassador.",
        "en",
        latest,
        matcher,
    )
    store_articles(session, run, [changed])
    finish_run(session, run, status="ok", counts=[], error=None)
    session.commit()
    ids = dict(session.execute(sa.text("SELECT url, id FROM articles")).all())
    return WebData(
        wire_tass=ids["https://tass.com/defense/2001"],
        wire_kyodo=ids["https://english.kyodonews.net/news/2026/missiles.html"],
        ru=ids["https://tass.ru/politika/3001"],
        ja=ids["https://www3.nhk.or.jp/news/html/k1.html"],
        xss=ids[XSS_URL],
        fillers=fillers,
    )
