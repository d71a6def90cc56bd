"""Story linking across outlets and languages: story keys, the linker, stored clusters."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from pipelines.storykeys import LINKER, THRESHOLD, link_score, story_keys, story_print
from storage import identity, migrate, storylinks, writes
from storage.records import ArticleRecord
from tests import storypairs as story_pairs
from tests.conftest import article, utc

THURSDAY = utc(2026, 11, 19, 6)


def test_names_figures_and_dates_align_across_languages() -> None:
    en = story_keys(
        "Japan protests drills on Kunashir",
        "Tokyo lodged a protest on Thursday; 1,500 troops and 30,000 rounds.",
        published=THURSDAY,
    )
    ru = story_keys(
        "Япония выразила протест из-за учений на Кунашире",
        "В четверг МИД Японии заявил: 1 500 военнослужащих и 30 000 снарядов.",
        published=THURSDAY,
    )
    ja = story_keys(
        "国後島での演習に抗議",
        "外務省は19日、約1500人と3万発の演習に抗議した。",
        published=THURSDAY,
    )
    for key in ("e:kunashir", "v:protest", "v:drills", "n:1500", "n:30000", "d:2026-11-19"):
        assert key in en and key in ru and key in ja, key
    assert "m:19" in ja  # the day of the month also counts as a small number
    assert "n:5.8" in story_keys("M5.8", "") and "n:5.8" in story_keys("магнитудой 5,8", "")


def test_same_event_in_three_languages_links() -> None:
    tass = story_keys(
        "Пограничники задержали японскую шхуну у Кунашира",
        "В четверг задержано рыболовное судно, на борту пять членов экипажа.",
        ["kuril"],
        THURSDAY,
    )
    kyodo = story_keys(
        "Japanese fishing boat seized off Kunashir",
        "A fishing boat from Nemuro was seized by Russian border guards on Thursday.",
        ["kuril"],
        THURSDAY,
    )
    nhk = story_keys(
        "根室の漁船、国後島沖で拿捕", "19日、国境警備局に拿捕された。", ["kuril"], THURSDAY
    )
    assert link_score(tass, kyodo, THURSDAY, THURSDAY) >= THRESHOLD
    assert link_score(kyodo, nhk, THURSDAY, THURSDAY) >= THRESHOLD
    assert link_score(tass, nhk, THURSDAY, THURSDAY) >= THRESHOLD


def test_different_events_on_one_topic_and_day_do_not_link() -> None:
    statement = story_keys(
        "Zakharova: visa-free exchanges with Japan will not resume",
        "Foreign Ministry spokeswoman Maria Zakharova said on Thursday the visa-free "
        "exchanges with the Kurils would not resume.",
        ["kuril"],
        THURSDAY,
    )
    rally = story_keys(
        "Former islanders rally in Nemuro",
        "About 300 former residents of the Kurils held a rally in Nemuro on Thursday.",
        ["kuril"],
        THURSDAY,
    )
    protest = story_keys(
        "Japan protests Russian drills on Kunashir",
        "The Foreign Ministry lodged a protest over drills on Kunashir on Thursday.",
        ["kuril"],
        THURSDAY,
    )
    airspace = story_keys(
        "Japan protests airspace violation off Nemuro",
        "The Foreign Ministry lodged a protest after a Russian aircraft violated Japanese "
        "airspace off Nemuro on Thursday.",
        ["kuril"],
        THURSDAY,
    )
    assert link_score(statement, rally, THURSDAY, THURSDAY) == 0.0  # different events
    assert link_score(protest, airspace, THURSDAY, THURSDAY) == 0.0  # only the reaction shared
    assert link_score(statement, protest, THURSDAY, THURSDAY) < THRESHOLD


def test_time_dates_and_thin_notes_keep_stories_apart() -> None:
    keys = story_keys(
        "Japan protests Russian drills on Kunashir",
        "Tokyo protested on Thursday against drills by 1,500 troops on Kunashir.",
        published=THURSDAY,
    )
    later = THURSDAY + timedelta(days=2)
    assert link_score(keys, keys, THURSDAY, THURSDAY) == 1.0
    assert link_score(keys, keys, THURSDAY, later) == 0.0  # beyond MAX_GAP
    friday = story_keys(
        "Japan protests Russian drills on Kunashir",
        "Tokyo protested on Friday against drills by 1,500 troops on Kunashir.",
        published=THURSDAY,
    )
    assert link_score(keys, friday, THURSDAY, THURSDAY) == 0.0  # different event days
    thin = story_keys("Kuril note", "Kuril Islands.")
    assert link_score(thin, thin, THURSDAY, THURSDAY) == 0.0  # no event, too little evidence


def _record(url: str, title: str, body: str, lang: str, minutes: int, source: str) -> ArticleRecord:
    at = THURSDAY + timedelta(minutes=minutes)
    return article(
        url, title=title, text_=body, source=source, language=lang, published=at, fetched_at=at
    )


def test_a_later_batch_joins_the_story_across_languages(session: Session) -> None:
    kyodo = _record(
        "https://kyodo.example/boat",
        "Japanese fishing boat seized off Kunashir",
        "A fishing boat from Nemuro was seized by Russian border guards off Kunashir on "
        "Thursday, the coast guard said. Five crew were aboard.",
        "en",
        0,
        "kyodo-en",
    )
    other = _record(
        "https://kyodo.example/rally",
        "Former islanders rally in Nemuro",
        "About 300 former residents held a rally in Nemuro on Thursday.",
        "en",
        10,
        "kyodo-en",
    )
    writes.store_articles(session, None, [kyodo, other])
    first = identity.assign_clusters(
        session, [story_print(kyodo), story_print(other)], linker=LINKER
    )
    tass = _record(
        "https://tass.example/boat",
        "Пограничники задержали японскую шхуну у Кунашира",
        "Пограничники в четверг задержали японское рыболовное судно у Кунашира.",
        "ru",
        60,
        "tass-ru",
    )
    writes.store_articles(session, None, [tass])
    later = identity.assign_clusters(session, [story_print(tass)], linker=LINKER)
    assert later[tass.url] == first[kyodo.url] != first[other.url]
    stored = session.execute(text("SELECT count(*) FROM story_keys")).scalar_one()
    assert stored == sum(len(story_print(r).keys) for r in (kyodo, other, tass))
    # without a linker (simhash only) another outlet's Russian report starts its own story
    alone = _record(
        "https://ria.example/boat",
        "Японская шхуна задержана близ Кунашира",
        "Японское судно задержано пограничниками в четверг близ Кунашира, сообщили в ФСБ.",
        "ru",
        70,
        "ria",
    )
    writes.store_articles(session, None, [alone])
    plain = identity.assign_clusters(session, [story_print(alone)])
    assert plain[alone.url] != first[kyodo.url]


def test_candidates_are_bounded_by_keys_and_window(session: Session) -> None:
    records = [
        _record(f"https://w.example/{n}", f"Storm on Sakhalin {n}", "A storm.", "en", n, "w")
        for n in range(30)
    ]
    old = _record("https://w.example/old", "Drills on Kunashir", "Drills.", "en", -5000, "w")
    near = _record("https://w.example/near", "Drills on Kunashir", "Drills.", "en", -60, "w")
    writes.store_articles(session, None, [*records, old, near])
    identity.assign_clusters(
        session, [story_print(r) for r in [old, near, *records]], linker=LINKER
    )
    index = storylinks.KeyIndex(LINKER)
    index.load(session, LINKER.lookup(story_keys("Drills on Kunashir", "")), THURSDAY)
    loaded = set(index.keys)
    ids = dict(session.execute(text("SELECT url, id FROM articles")).all())
    assert loaded == {ids[near.url]}  # not the storms (other keys), not the old one (window)


def test_migration_gives_every_stored_article_a_cluster(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate.upgrade(engine, "0009")
    with Session(engine) as session:
        writes.store_articles(session, None, [article("https://a.example/1")])
        session.commit()
    migrate.upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT a.id, p.cluster_id FROM articles a "
                "JOIN story_fingerprints p ON p.article_id = a.id"
            )
        ).all()
    engine.dispose()
    assert [(a, c) for a, c in rows] == [(rows[0][0], rows[0][0])]


PRECISION_FLOOR = {"all": 0.78, "within": 0.65, "cross": 0.8}
RECALL_FLOOR = {"all": 0.95, "within": 0.9, "cross": 0.95}


def test_hand_labelled_pairs_stay_above_the_floors() -> None:
    """Floors a little below the measured figures (docs/stories.md): a regression fails."""
    results = story_pairs.report(out=lambda line: None)
    stored, simhash = results["stored"], results["simhash"]
    assert stored["all"].pairs >= 60 and stored["cross"].positives >= 30
    for part in ("all", "within", "cross"):
        assert stored[part].precision >= PRECISION_FLOOR[part], part
        assert stored[part].recall >= RECALL_FLOOR[part], part
    assert stored["cross"].recall > simhash["cross"].recall


def test_keys_never_fail_or_overflow_a_column() -> None:
    """Any text and any publication time give keys that fit ``story_keys.key``."""
    odd = "9" * 100 + " 1.5万 0日 32日 31 февраля Feb 30 on Sunday 1,2,3,4 5.6.7"
    for at in (utc(2026, 1, 1), utc(1, 1, 3), utc(9999, 12, 30)):
        keys = story_keys(odd, odd, ["t" * 200], at)
        assert keys and all(len(k) <= 80 for k in keys)
    assert "n:15000" in story_keys("1.5万人", "")


def test_real_wire_copy_of_one_day_is_rarely_linked() -> None:
    """One day of real TASS politics stories (20, all different stories by a reader's
    judgement): at most the two pairs the linker joined when this was measured."""
    root = os.environ.get("WIREWATCH_CORPUS")
    if not root:
        pytest.skip("WIREWATCH_CORPUS is not set")
    linked = story_pairs.corpus_links(Path(root), out=lambda line: None)
    assert len(linked) <= 2
