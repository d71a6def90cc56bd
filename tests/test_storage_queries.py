"""find_articles and full-text search, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from storage import writes
from storage.queries import ArticleFilter, find_articles
from tests.conftest import article, match, utc

CORPUS = [
    article(
        "https://en/1",
        title="Talks on the Kuril Islands resume",
        text_="Officials met in Tokyo. O'Brien said 100 percent of the agenda was covered.",
        source="wire-en",
        published=utc(2024, 5, 1, 23, 59, 59),
        matches=(match("kuril", 3.0, kuril=2), match("japan", 1.0)),
    ),
    article(
        "https://ru/1",
        title="Переговоры о Курилах",
        text_="Курилы снова в центре внимания. Стороны обсудили рыболовство.",
        source="wire-ru",
        language="ru",
        published=utc(2024, 5, 2, 0, 0, 0),
        matches=(match("kuril", 2.0, курилы=1),),
    ),
    article(
        "https://ja/1",
        title="北方領土問題で協議",
        text_="日本とロシアは北方領土問題について協議した。北方の領土ではない。",
        source="wire-ja",
        language="ja",
        published=utc(2024, 5, 2, 9),
        matches=(match("kuril", 1.5, 北方領土=2), match("japan", 4.0)),
    ),
    article(
        "https://en/2",
        title="Weather report",
        text_="Sunny with a 50% chance of rain; the snake_case word appears here.",
        source="wire-en",
        published=utc(2024, 4, 30, 8),
    ),
    article(
        "https://en/3",
        title="Undated note",
        text_="No date was found for this page about Kuril fishing.",
        source="wire-en",
        published=None,
    ),
]


@pytest.fixture
def corpus(session: Session) -> Session:
    assert writes.store_articles(session, None, CORPUS) == ["new"] * len(CORPUS)
    session.commit()
    return session


def _urls(session: Session, **kwargs: object) -> list[str]:
    return [row.url for row in find_articles(session, ArticleFilter(**kwargs))]  # type: ignore[arg-type]


def test_order_is_published_desc_with_undated_last(corpus: Session) -> None:
    assert _urls(corpus) == [
        "https://ja/1",
        "https://ru/1",
        "https://en/1",
        "https://en/2",
        "https://en/3",
    ]
    assert _urls(corpus, limit=2) == ["https://ja/1", "https://ru/1"]
    assert len(_urls(corpus, limit=None)) == 5


def test_filters(corpus: Session) -> None:
    assert _urls(corpus, topics=["japan"]) == ["https://ja/1", "https://en/1"]
    assert _urls(corpus, topics=["japan", "kuril"]) == [
        "https://ja/1",
        "https://ru/1",
        "https://en/1",
    ]
    assert _urls(corpus, topics=["nope"]) == []
    assert _urls(corpus, sources=["wire-ru", "wire-ja"]) == ["https://ja/1", "https://ru/1"]
    assert _urls(corpus, languages=["ru"]) == ["https://ru/1"]
    # since inclusive, until exclusive; undated articles never fall in a window
    day2 = {"since": utc(2024, 5, 2), "until": utc(2024, 5, 3)}
    assert _urls(corpus, **day2) == ["https://ja/1", "https://ru/1"]
    assert _urls(corpus, since=utc(2024, 5, 1), until=utc(2024, 5, 2)) == ["https://en/1"]
    assert _urls(corpus, topics=["kuril"], languages=["en"], sources=["wire-en"]) == [
        "https://en/1"
    ]
    with pytest.raises(ValueError, match="timezone-aware"):
        _urls(corpus, since=datetime(2024, 5, 1))


def test_rows_carry_topics_and_best_snippet(corpus: Session) -> None:
    (ja,) = find_articles(corpus, ArticleFilter(sources=["wire-ja"]))
    assert ja.topics == ["japan", "kuril"]
    assert (ja.score, ja.snippet) == (4.0, "... japan snippet ...")
    assert (ja.title, ja.source, ja.language, ja.author) == (
        "北方領土問題で協議",
        "wire-ja",
        "ja",
        "A. Writer",
    )
    assert ja.published == utc(2024, 5, 2, 9) and ja.published_origin == "meta"
    (ja,) = find_articles(corpus, ArticleFilter(sources=["wire-ja"], topics=["kuril"]))
    assert (ja.score, ja.snippet, ja.topics) == (1.5, "... kuril snippet ...", ["japan", "kuril"])
    (plain,) = find_articles(corpus, ArticleFilter(search="weather"))
    assert (plain.topics, plain.snippet, plain.score) == ([], None, None)


SEARCHES = [
    ("kuril", ["https://en/1", "https://en/3"]),
    ("KURIL islands", ["https://en/1"]),
    ("islands kuril", ["https://en/1"]),
    ("tokyo weather", []),
    ("Курилы", ["https://ru/1"]),
    ("курилы", ["https://ru/1"]),
    ("Переговоры", ["https://ru/1"]),
    ("北方領土", ["https://ja/1"]),
    ("北方領土 協議", ["https://ja/1"]),
    ("ロシア", ["https://ja/1"]),
    ("北方%領土", []),
    ("北方_領土", []),
    ("北方の領土", ["https://ja/1"]),
    ("O'Brien", ["https://en/1"]),
    ("50%", ["https://en/2"]),
    ("snake_case", ["https://en/2"]),
    ('"Kuril Islands"', ["https://en/1"]),
    ("' % _ \"", []),
    ("%", []),
    ("_", []),
    ("x'\"%_; DROP TABLE articles; --", []),
    ('"unbalanced', []),
    ("AND OR NOT NEAR(a b)", []),
    ("kuril*", ["https://en/1", "https://en/3"]),
    ("   ", ["https://ja/1", "https://ru/1", "https://en/1", "https://en/2", "https://en/3"]),
]


def test_full_text_search(corpus: Session) -> None:
    wrong = [(q, got, want) for q, want in SEARCHES if (got := _urls(corpus, search=q)) != want]
    assert wrong == []
    assert len(_urls(corpus)) == len(CORPUS)  # the table survived whatever the queries said


def test_search_follows_updates(corpus: Session) -> None:
    changed = article(
        "https://en/2", title="Storm warning", text_="Gale force winds.", source="wire-en"
    )
    assert writes.store_articles(corpus, None, [changed]) == ["updated"]
    assert _urls(corpus, search="gale") == ["https://en/2"]
    assert _urls(corpus, search="sunny") == []
