"""The report, the web site and `wirewatch query` read one story identity: the stored clusters."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from reports.build import build_report
from reports.stories import story_id
from storage.browse import ListQuery, list_articles, story_cluster
from storage.queries import ArticleFilter, find_articles
from storage.writes import store_articles
from tests.conftest import article
from tests.test_report_data import hit, msk

DAY = date(2026, 11, 27)


def _store_unrelated(session: Session) -> dict[str, int]:
    """Three matched articles whose texts share nothing; clusters are written by hand."""
    texts = {
        "https://tass.com/1": ("tass-en", "Alpha bravo charlie delta about Kuril Islands."),
        "https://kyodo.example/1": ("kyodo-en", "Echo foxtrot golf hotel on the Kurils."),
        "https://nhk.example/1": ("nhk-ja", "北方領土について、インディア・ジュリエット。"),
    }
    records = [
        article(
            url,
            title=f"Title {n}",
            text_=body,
            source=source,
            published=msk(27, 9 + n),
            fetched_at=msk(27, 9 + n, 5),
            matches=(hit("kuril", body, ["Kuril"] if "Kuril" in body else ["北方領土"]),),
        )
        for n, (url, (source, body)) in enumerate(texts.items())
    ]
    store_articles(session, None, records)
    ids = {u: i for i, u in session.execute(text("SELECT id, url FROM articles"))}
    first = ids["https://tass.com/1"]
    clusters = {"https://tass.com/1": first, "https://kyodo.example/1": first}
    clusters["https://nhk.example/1"] = ids["https://nhk.example/1"]
    for url, cluster in clusters.items():
        session.execute(
            text(
                "INSERT INTO story_fingerprints (article_id, simhash, cluster_id, seen_at) "
                "VALUES (:a, 0, :c, :t)"
            ),
            {"a": ids[url], "c": cluster, "t": msk(27, 12)},
        )
    session.commit()
    return ids


def test_report_groups_by_the_stored_cluster(session: Session) -> None:
    _store_unrelated(session)
    report = build_report(session, DAY, "Europe/Moscow", ["kuril"])
    stories = {s["article"]["url"]: s for s in report["topics"][0]["stories"]}
    assert set(stories) == {"https://tass.com/1", "https://nhk.example/1"}
    lead = stories["https://tass.com/1"]
    assert [a["source"] for a in lead["also_in"]] == ["kyodo-en"]
    # the id names the article that started the stored cluster, on every database
    assert lead["id"] == story_id("https://tass.com/1")
    assert stories["https://nhk.example/1"]["id"] == story_id("https://nhk.example/1")


def test_web_lists_and_article_pages_read_the_stored_cluster(session: Session) -> None:
    ids = _store_unrelated(session)
    listed, _ = list_articles(session, ListQuery(topic="kuril"))
    also = {row.url: row.also_in for row in listed}
    assert also == {
        "https://tass.com/1": ["kyodo-en"],
        "https://kyodo.example/1": ["tass-en"],
        "https://nhk.example/1": [],
    }
    siblings = story_cluster(session, ids["https://kyodo.example/1"])
    assert [s.url for s in siblings] == ["https://tass.com/1"]


def test_an_article_without_a_cluster_is_its_own_story(session: Session) -> None:
    body = "Kuril Islands, alone."
    store_articles(
        session,
        None,
        [
            article(
                "https://ria.ru/1",
                text_=body,
                published=msk(27, 10),
                matches=(hit("kuril", body, ["Kuril Islands"]),),
            )
        ],
    )
    session.commit()
    report = build_report(session, DAY, "Europe/Moscow", ["kuril"])
    (story,) = report["topics"][0]["stories"]
    assert story["id"] == story_id("https://ria.ru/1") and story["also_in"] == []


def test_query_rows_carry_the_report_story_id(session: Session) -> None:
    _store_unrelated(session)
    rows = {r.url: r.story for r in find_articles(session, ArticleFilter(topics=("kuril",)))}
    tass = story_id("https://tass.com/1")
    assert rows == {
        "https://tass.com/1": tass,
        "https://kyodo.example/1": tass,  # the same stored story as TASS's
        "https://nhk.example/1": story_id("https://nhk.example/1"),
    }
    report = build_report(session, DAY, "Europe/Moscow", ["kuril"])
    assert {s["id"] for s in report["topics"][0]["stories"]} == set(rows.values())
