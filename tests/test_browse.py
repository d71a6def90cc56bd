"""Keyset pages over dated and undated articles, ties on the same time, on both databases."""

from __future__ import annotations

from sqlalchemy.orm import Session

from storage.browse import ListQuery, list_articles
from storage.writes import ensure_sources, start_run, store_articles
from tests.conftest import article, match, utc


def test_pages_cover_every_article_once_in_order(session: Session) -> None:
    ensure_sources(session, {"wire-a": "en"})
    run = start_run(session, ["wire-a"])
    when = [utc(2026, 11, 27, 10), utc(2026, 11, 27, 10), utc(2026, 11, 26), None, None]
    records = [
        article(f"https://a/{n}", published=when[n % 5], matches=(match("kuril"),) if n % 2 else ())
        for n in range(23)
    ]
    store_articles(session, run, records)
    session.commit()
    for topic, expected in ((None, 23), ("kuril", 11)):
        seen = []
        query = ListQuery(topic=topic, limit=4)
        while True:
            rows, cursor = list_articles(session, query)
            seen += rows
            if cursor is None:
                break
            query = ListQuery(topic=topic, limit=4, after=cursor)
        assert len({r.id for r in seen}) == len(seen) == expected
        keys = [(r.published is not None, r.published, r.id) for r in seen]
        dated = [k for k in keys if k[0]]
        assert dated == sorted(dated, key=lambda k: (k[1], k[2]), reverse=True)
        assert keys[len(dated) :] == sorted(keys[len(dated) :], key=lambda k: k[2], reverse=True)
        assert all(k[0] for k in keys[: len(dated)])


def test_every_sqlite_plan_lists_the_same_search(session: Session, monkeypatch) -> None:
    import storage.search

    ensure_sources(session, {"wire-a": "en"})
    run = start_run(session, ["wire-a"])
    records = [
        article(
            f"https://b/{n}",
            title=f"Kuril note {n}",
            text_=f"国後 and Kurils {n}",
            language="ja" if n % 3 == 0 else "en",
            published=utc(2026, 11, 1 + n % 20, n % 24),
        )
        for n in range(30)
    ]
    store_articles(session, run, records)
    session.commit()

    def listing(query: str) -> list[int]:
        rows, _ = list_articles(session, ListQuery(search=query, limit=50))
        return [r.id for r in rows]

    for query in ("kuril", "国後", "kurils 国後"):
        default = listing(query)
        monkeypatch.setattr(storage.search, "DENSE_MATCHES", 2)  # walk the date index
        assert listing(query) == default and default
        monkeypatch.undo()
    assert len(listing("国後")) == 10  # the Japanese articles only


def test_short_cjk_words_page_newest_first_across_languages(session: Session) -> None:
    ensure_sources(session, {"wire-a": None})
    run = start_run(session, ["wire-a"])
    langs = ["ja", "zh", "en", "ko", "ja"]
    records = [
        article(
            f"https://c/{n}",
            title=f"note {n}",
            text_="国後 note" if n % 4 else "other note",
            language=langs[n % 5],
            published=utc(2026, 11, 1 + n % 9, n % 24) if n % 7 else None,
        )
        for n in range(40)
    ]
    store_articles(session, run, records)
    session.commit()
    expected = sorted(
        (
            (r.published is not None, r.published, n)
            for n, r in enumerate(records)
            if r.language in ("ja", "zh", "ko") and "国後" in r.text
        ),
        reverse=True,
    )
    seen, query = [], ListQuery(search="国後", limit=3)
    while True:
        rows, cursor = list_articles(session, query)
        seen += [r.url for r in rows]
        if cursor is None:
            break
        query = ListQuery(search="国後", limit=3, after=cursor)
    assert seen == [f"https://c/{n}" for _, _, n in expected]
