"""Relevance levels of topic matches: "about" or "mentions", from explainable evidence;
stored, re-flagged and queried (`query --relevance`, `--sort relevance`) on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from pipelines.relevance import ABOUT, MENTIONS, rank, relevance
from pipelines.topics import TopicMatcher, compile_topics
from storage import models
from storage.writes import ensure_sources, store_articles
from tests.conftest import article, utc
from tests.test_topics import load_default_spec
from wirewatch.cli import cli

FILLER = "Officials met to discuss fisheries, trade and energy prices in the region. " * 6
PASSING = FILLER + "Separately, a ferry to Kunashir was cancelled because of fog."
ABOUT_TEXT = "Russia moved troops to Kunashir and Iturup, Japan protested. " + FILLER


@pytest.fixture(scope="module")
def matcher() -> TopicMatcher:
    return compile_topics(load_default_spec())


def level(matcher: TopicMatcher, title: str, text: str, topic: str = "kuril") -> str:
    (record,) = [r for r in matcher.match(title, text) if r.topic == topic]
    return record.relevance


def test_title_hit_is_about(matcher: TopicMatcher) -> None:
    assert level(matcher, "Kunashir ferry cancelled", FILLER) == ABOUT


def test_one_hit_deep_in_the_text_is_a_passing_mention(matcher: TopicMatcher) -> None:
    assert level(matcher, "Regional officials meet", PASSING) == MENTIONS
    (ex,) = matcher.explain("Regional officials meet", PASSING, all_topics=False)
    assert ex.relevance_why == "1 hit(s) of 1 term(s), none in the title or the lead"


def test_lead_and_sustained_coverage_are_about(matcher: TopicMatcher) -> None:
    assert level(matcher, "Troops moved", ABOUT_TEXT) == ABOUT  # lead hit + 2 hits
    lead_once = "Kunashir residents met officials. " + FILLER
    assert level(matcher, "Residents meet", lead_once) == MENTIONS  # one hit is not enough
    deep = FILLER + "Kunashir, Iturup and Shikotan saw storms; Kunashir lost power."
    assert level(matcher, "Storms", deep) == ABOUT  # 4 hits of 3 terms


def test_relevance_rule_and_rank() -> None:
    assert relevance([("text", 500, "a"), ("text", 900, "a"), ("text", 950, "a")])[0] == MENTIONS
    assert relevance([("text", 500, "a"), ("text", 900, "b"), ("text", 950, "a")])[0] == ABOUT
    assert sorted([None, MENTIONS, ABOUT], key=rank) == [ABOUT, MENTIONS, None]


def _fill(engine: Engine, matcher: TopicMatcher) -> None:
    """Three kuril articles: about (newest), a passing mention, about (oldest)."""
    docs = [
        ("https://w/about-old", "Kunashir drills", FILLER, utc(2025, 3, 1)),
        ("https://w/mention", "Regional officials meet", PASSING, utc(2025, 3, 3)),
        ("https://w/about-new", "Troops moved", ABOUT_TEXT, utc(2025, 3, 2)),
        ("https://w/plain", "Rice prices", FILLER, utc(2025, 3, 4)),
    ]
    records = [
        article(url, title=t, text_=x, published=p, matches=tuple(matcher.match(t, x)))
        for url, t, x, p in docs
    ]
    with Session(engine) as session:
        ensure_sources(session, {"wire-a": "en"})
        store_articles(session, None, records)
        session.commit()


@pytest.fixture
def config(engine: Engine, db_url: str, tmp_path: Path, matcher: TopicMatcher) -> Path:
    _fill(engine, matcher)
    path = tmp_path / "w.toml"
    path.write_text(
        f'builtin_sources = false\ndata_dir = "{tmp_path}"\n[database]\nurl = "{db_url}"\n'
        '[report]\ntimezone = "UTC"\n',
        encoding="utf-8",
    )
    return path


def wirewatch(config: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["--config", str(config), *args])
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def urls(config: Path, *args: str) -> list[tuple[str, str]]:
    out = wirewatch(config, "query", "--topic", "kuril", "--format", "json", *args).stdout
    return [(row["url"], row["relevance"]) for row in json.loads(out)]


def test_query_shows_filters_and_sorts_by_relevance(config: Path) -> None:
    assert urls(config) == [
        ("https://w/mention", MENTIONS),
        ("https://w/about-new", ABOUT),
        ("https://w/about-old", ABOUT),
    ]
    assert urls(config, "--relevance", "about") == [
        ("https://w/about-new", ABOUT),
        ("https://w/about-old", ABOUT),
    ]
    assert urls(config, "--relevance", "mentions") == [("https://w/mention", MENTIONS)]
    assert urls(config, "--sort", "relevance") == [
        ("https://w/about-new", ABOUT),
        ("https://w/about-old", ABOUT),
        ("https://w/mention", MENTIONS),
    ]
    table = wirewatch(config, "query", "--topic", "kuril").stdout
    assert "relevance" in table.splitlines()[0] and "mentions" in table


def test_reflag_fills_in_relevance_of_older_matches(config: Path, engine: Engine) -> None:
    m = models.TopicMatch
    with Session(engine) as session:
        session.execute(update(m).values(relevance=None))  # as stored before migration 0006
        session.commit()
    assert urls(config, "--relevance", "about") == []
    assert next(u for u, _ in urls(config, "--sort", "relevance")) == "https://w/mention"
    out = wirewatch(config, "reflag").stdout
    assert "0 matches added, 0 removed, 3 changed" in out
    with Session(engine) as session:
        levels = dict(session.execute(select(m.id, m.relevance)).all())
    assert sorted(levels.values()) == [ABOUT, ABOUT, MENTIONS]
    assert "3 unchanged" in wirewatch(config, "reflag").stdout
