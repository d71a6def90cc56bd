"""Language-aware full-text search (migration 0008), on SQLite and PostgreSQL.

Russian words are found in every case (pymorphy3 forms), English words by stem, Japanese
words as substrings through the trigram index; the migration indexes the articles that
were stored before it; and Datasette detects the SQLite full-text table.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from pipelines.morph import search_forms
from storage import migrate
from storage.db import make_engine, make_sessionmaker
from storage.queries import ArticleFilter, find_articles
from storage.writes import ensure_sources, start_run, store_articles
from tests.conftest import article

PAGES = [
    ("https://ru/1", "ru", "Учения на Кунашире", "Военные учения прошли на Кунашире и Итурупе."),
    ("https://ru/2", "ru", "Южные Курилы", "Японская делегация посетила Южные Курилы."),
    ("https://ru/3", "ru", "О Курилах", "Разговор о Курилах и о рыбе."),
    ("https://ru/4", "ru", "Курить вредно", "Он курил на балконе."),
    ("https://en/1", "en", "Kurils drills", "Russia held drills on the Kurils and islands nearby."),
    ("https://en/2", "en", "Island talks", "Talks on the island dispute were postponed."),
    ("https://ja/1", "ja", "国後島で演習", "ロシア軍が国後島と択捉島で演習を行った。"),
    ("https://ja/2", "ja", "北方領土の日", "北方領土問題の解決を求める大会が開かれた。"),
    ("https://ja/3", "ja", "天気", "明日は晴れるでしょう。"),
]

# Searched form -> the pages it must find (a Russian word in another case, an English
# plural or singular, Japanese words of two, three and four characters).
RECALL = {
    "Кунашир": ["https://ru/1"],
    "Кунашира": ["https://ru/1"],
    "Итуруп": ["https://ru/1"],
    "Курилы": ["https://ru/2", "https://ru/3"],
    "Курилах": ["https://ru/2", "https://ru/3"],
    "южных курил": ["https://ru/2"],
    "учение": ["https://ru/1"],
    "Kuril": ["https://en/1"],
    "islands": ["https://en/1", "https://en/2"],
    "island": ["https://en/1", "https://en/2"],
    "drill": ["https://en/1"],
    "disputes": ["https://en/2"],
    "国後": ["https://ja/1"],
    "択捉島": ["https://ja/1"],
    "北方領土": ["https://ja/2"],
    "演習": ["https://ja/1"],
    "国後島 演習": ["https://ja/1"],
}


def _store(engine: Engine) -> None:
    with make_sessionmaker(engine)() as session:
        ensure_sources(session, {"wire": None})
        run = start_run(session, ["wire"])
        records = [
            article(
                url,
                title=title,
                text_=body,
                language=lang,
                source="wire",
                published=datetime(2026, 11, 27, n, tzinfo=UTC),
            )
            for n, (url, lang, title, body) in enumerate(PAGES)
        ]
        store_articles(session, run, records)
        session.commit()


def _found(session: Session, query: str) -> list[str]:
    flt = ArticleFilter(search=query, limit=None, expand=search_forms)
    return sorted(r.url for r in find_articles(session, flt))


def test_inflected_forms_stems_and_japanese_words_are_found(engine: Engine) -> None:
    _store(engine)
    with make_sessionmaker(engine)() as session:
        missed = {
            q: (got, want) for q, want in RECALL.items() if (got := _found(session, q)) != want
        }
    assert missed == {}, f"recall {1 - len(missed) / len(RECALL):.0%}: {missed}"


def test_the_smoking_verb_is_not_the_islands(engine: Engine) -> None:
    _store(engine)
    with make_sessionmaker(engine)() as session:
        assert "https://ru/4" not in _found(session, "Курилы")
        assert _found(session, "курил") == ["https://ru/2", "https://ru/3", "https://ru/4"]


@pytest.mark.parametrize("query", ['"', "*", "NEAR(a b)", "a OR", "title:x", "(", "-", "日"])
def test_query_syntax_is_text(engine: Engine, query: str) -> None:
    _store(engine)
    with make_sessionmaker(engine)() as session:
        _found(session, query)  # no error; what it finds depends on the words


def test_migration_indexes_articles_stored_before_it(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine)
        _store(engine)
        migrate.downgrade(engine, "0007")  # no language-aware index: the rows predate it
        migrate.upgrade(engine)
        with make_sessionmaker(engine)() as session:
            assert _found(session, "Курилах") == ["https://ru/2", "https://ru/3"]
            assert _found(session, "択捉島") == ["https://ja/1"]
            assert _found(session, "Kuril") == ["https://en/1"]
        migrate.downgrade(engine, "0007")  # back to the simple index of 0001, and up again
        migrate.upgrade(engine)
        with make_sessionmaker(engine)() as session:
            assert _found(session, "Кунашире") == ["https://ru/1"]
            assert _found(session, "国後") == ["https://ja/1"]
    finally:
        engine.dispose()


def test_datasette_detects_the_full_text_table(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            # datasette.utils.detect_fts_sql, verbatim for the table "articles"
            found = (
                conn.execute(
                    text(
                        "select name from sqlite_master where rootpage = 0 and ("
                        "sql like '%VIRTUAL TABLE%USING FTS%content=\"articles\"%' "
                        "or sql like '%VIRTUAL TABLE%USING FTS%content=[articles]%' "
                        "or (tbl_name = \"articles\" and sql like '%VIRTUAL TABLE%USING FTS%'))"
                    )
                )
                .scalars()
                .all()
            )
    finally:
        engine.dispose()
    assert found[0] == "articles_fts"


def test_more_relevant_articles_come_first(engine: Engine) -> None:
    with make_sessionmaker(engine)() as session:
        ensure_sources(session, {"wire": None})
        run = start_run(session, ["wire"])
        texts = {
            "https://x/once": "A note on fishing, with the Kurils named once among other words.",
            "https://x/often": "Kurils talks: the Kurils, the Kurils and again the Kurils.",
            "https://x/none": "Nothing here.",
        }
        store_articles(
            session,
            run,
            [
                article(
                    url,
                    title="Note",
                    text_=body,
                    source="wire",
                    published=datetime(2026, 11, 27, n, tzinfo=UTC),
                )
                for n, (url, body) in enumerate(texts.items())
            ],
        )
        session.commit()
        rows = find_articles(session, ArticleFilter(search="kuril", expand=search_forms))
        assert [r.url for r in rows] == ["https://x/often", "https://x/once"]
