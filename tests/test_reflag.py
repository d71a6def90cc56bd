"""`wirewatch reflag`: stored matches become what the current rules say, idempotently, in
batches that survive an interruption; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pipelines.topics import TopicMatcher, compile_topics
from storage import models
from storage.writes import ensure_sources, store_articles
from tests.conftest import article, match, utc
from tests.test_topics import load_default_spec
from wirewatch.cli import cli

KURIL_TEXT = "Russia moved troops to Kunashir and Iturup, Japan protested."
TREATY_TEXT = "Japan and Russia have not signed a peace treaty since 1945, the minister said."
PLAIN_TEXT = "Rice prices rose again in Tokyo this week."


def _fill(engine: Engine) -> None:
    """Five articles whose stored matches are stale in every possible way."""
    records = [
        article("https://w/a", text_=KURIL_TEXT, published=utc(2025, 3, 1)),  # match missing
        article(
            "https://w/b", text_=PLAIN_TEXT, published=utc(2025, 3, 2), matches=(match("kuril"),)
        ),
        article(
            "https://w/c",
            text_=TREATY_TEXT,
            published=utc(2025, 3, 3),
            matches=(match("peace_treaty", 9.0), match("gone")),
        ),
        article("https://w/d", text_=KURIL_TEXT, published=utc(2020, 1, 1)),  # before --since
        article("https://w/e", title="Shikotan", text_=PLAIN_TEXT, published=None),
    ]
    with Session(engine) as session:
        ensure_sources(session, {"wire-a": "en"})
        store_articles(session, None, records)
        session.commit()


@pytest.fixture
def config(engine: Engine, db_url: str, tmp_path: Path) -> Path:
    """A config on the test database with the built-in topics, and the articles stored."""
    _fill(engine)
    path = tmp_path / "w.toml"
    path.write_text(
        f'builtin_sources = false\ndata_dir = "{tmp_path}"\n[database]\nurl = "{db_url}"\n',
        encoding="utf-8",
    )
    return path


def stored(engine: Engine) -> dict[tuple[str, str], tuple[int, float, Any, Any]]:
    """(url, topic) -> (row id, score, terms, hits) of every stored match."""
    a, m = models.Article, models.TopicMatch
    stmt = select(a.url, m.topic, m.id, m.score, m.terms, m.hits).join(a, a.id == m.article_id)
    with Session(engine) as session:
        return {(u, t): (i, s, te, h) for u, t, i, s, te, h in session.execute(stmt)}


def expected(matcher: TopicMatcher, engine: Engine) -> set[tuple[str, str]]:
    """(url, topic) pairs the current rules give for every stored article."""
    a = models.Article
    with Session(engine) as session:
        rows = session.execute(select(a.url, a.title, a.text)).all()
    return {(u, r.topic) for u, title, text in rows for r in matcher.match(title, text)}


def reflag(config: Path, *args: str) -> Any:
    """Run `wirewatch reflag` in-process."""
    result = CliRunner().invoke(cli, ["--config", str(config), "reflag", *args])
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def test_reflag_makes_matches_current_and_is_idempotent(config: Path, engine: Engine) -> None:
    matcher = compile_topics(load_default_spec())
    first = reflag(config, "--batch-size", "2")
    after = stored(engine)
    assert set(after) == expected(matcher, engine)
    assert ("https://w/b", "kuril") not in after  # removed: no longer matches
    assert ("https://w/c", "gone") not in after  # removed: topic no longer configured
    assert after[("https://w/c", "peace_treaty")][1] != 9.0  # rewritten
    assert after[("https://w/a", "kuril")][3][0]["start"] == KURIL_TEXT.index("Kunashir")
    assert "5 articles" in first.stdout and "reflag" in first.stderr  # progress on stderr
    second = reflag(config)
    assert stored(engine) == after  # same row ids: nothing rewritten
    assert "0 matches added, 0 removed, 0 changed" in second.stdout


def test_reflag_topic_and_since_limit_what_is_touched(config: Path, engine: Engine) -> None:
    reflag(config, "--topic", "kuril", "--since", "2025-01-01")
    after = stored(engine)
    assert ("https://w/a", "kuril") in after
    assert ("https://w/d", "kuril") not in after  # published before --since
    assert ("https://w/e", "kuril") not in after  # undated, first seen 2024: before --since
    assert after[("https://w/c", "peace_treaty")][1] == 9.0  # other topic untouched
    assert ("https://w/c", "gone") in after


def test_reflag_survives_an_interruption(
    config: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    real = TopicMatcher.match

    def flaky(self: TopicMatcher, title: str, text: str, **kw: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(self, title, text, **kw)

    monkeypatch.setattr(TopicMatcher, "match", flaky)
    result = CliRunner().invoke(cli, ["--config", str(config), "reflag", "--batch-size", "2"])
    assert result.exit_code != 0
    partial = stored(engine)
    assert ("https://w/a", "kuril") in partial  # the first batch was committed
    assert ("https://w/c", "gone") in partial  # the interrupted batch was not
    monkeypatch.setattr(TopicMatcher, "match", real)
    reflag(config, "--batch-size", "2")
    assert set(stored(engine)) == expected(compile_topics(load_default_spec()), engine)


def test_reflag_unknown_topic_is_a_usage_error(config: Path, engine: Engine) -> None:
    before = stored(engine)
    result = CliRunner().invoke(cli, ["--config", str(config), "reflag", "--topic", "nope"])
    assert result.exit_code == 2
    assert "unknown topic 'nope'" in result.stderr
    assert stored(engine) == before


def test_invalid_rule_stops_reflag_before_any_write(config: Path, engine: Engine) -> None:
    before = stored(engine)
    text = config.read_text(encoding="utf-8") + '[topics.kuril]\nterms = { en = ["курил*"] }\n'
    config.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "reflag"])
    assert result.exit_code == 2
    assert "topic 'kuril', rule 'terms.en[0]'" in result.stderr
    assert "wildcards are not supported" in result.stderr
    assert stored(engine) == before
