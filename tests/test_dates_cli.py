"""The publication-time explanation: stored with the article, shown by `wirewatch query -v`
and `wirewatch flag`."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy.engine import Engine

from storage.db import make_sessionmaker
from storage.queries import ArticleFilter, find_articles
from storage.writes import ensure_sources, store_articles
from tests.conftest import article, utc
from wirewatch.cli import cli

NOTE = "meta article:published_time '2026-11-27T10:30:00+03:00'; agreed: feed"
PAGE = (
    "<html><head><title>Quotas agreed</title>"
    '<meta property="article:published_time" content="2026-02-30T10:00:00+03:00">'
    '<script type="application/ld+json">{"@graph": [{"@type": "WebPage",'
    ' "datePublished": "2026-11-27T10:30:00+03:00"}]}</script></head><body><article>'
    "<h1>Quotas agreed</h1><p>Japan and Russia agreed fishing quotas near the Kuril Islands"
    " on Friday, the fisheries agency said.</p></article></body></html>"
)


def test_note_is_stored_and_read_back(engine: Engine) -> None:
    """published_note survives a write and a query on both databases."""
    record = dataclasses.replace(
        article("https://wire.example.com/a/1", published=utc(2026, 11, 27, 7, 30)),
        published_note=NOTE,
    )
    with make_sessionmaker(engine)() as session:
        ensure_sources(session, {"wire-a": "en"})
        store_articles(session, None, [record])
        session.commit()
        (row,) = find_articles(session, ArticleFilter())
    assert row.published_origin == "meta" and row.published_note == NOTE


def _config(tmp_path: Path) -> Path:
    db = tmp_path / "w.db"
    path = tmp_path / "w.toml"
    path.write_text(
        f'builtin_sources = false\ndata_dir = "{tmp_path}"\n[database]\nurl = "sqlite:///{db}"\n',
        encoding="utf-8",
    )
    return path


def test_query_verbose_shows_how_the_time_was_chosen(tmp_path: Path) -> None:
    """`query -v` adds the origin and the note; without -v they are not shown."""
    config = _config(tmp_path)
    assert CliRunner().invoke(cli, ["--config", str(config), "db", "upgrade"]).exit_code == 0
    from storage.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    record = dataclasses.replace(
        article("https://wire.example.com/a/1", published=utc(2026, 11, 27, 7, 30)),
        published_note=NOTE,
    )
    with make_sessionmaker(engine)() as session:
        ensure_sources(session, {"wire-a": "en"})
        store_articles(session, None, [record])
        session.commit()
    engine.dispose()
    base = ["--config", str(config), "query"]
    plain = CliRunner().invoke(cli, [*base, "--format", "json"])
    verbose = CliRunner().invoke(cli, [*base, "--format", "json", "-v"])
    table = CliRunner().invoke(cli, [*base, "--verbose"])
    assert "published_note" not in json.loads(plain.stdout)[0]
    (row,) = json.loads(verbose.stdout)
    assert row["published_origin"] == "meta" and row["published_note"] == NOTE
    assert f"published: {NOTE}" in table.stdout


def test_flag_shows_the_publication_time_and_why(tmp_path: Path) -> None:
    """`wirewatch flag page.html` names the winning candidate and what was set aside."""
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    args = ["--config", str(_config(tmp_path)), "flag", str(page)]
    text = CliRunner().invoke(cli, args)
    assert text.exit_code == 0, text.output
    assert "published: 2026-11-27T07:30:00+00:00" in text.stdout
    assert "why: jsonld WebPage.datePublished" in text.stdout
    assert "impossible date" in text.stdout
    out = json.loads(CliRunner().invoke(cli, [*args, "--format", "json"]).stdout)
    assert out[0]["published"] == "2026-11-27T07:30:00+00:00"
    assert out[0]["published_note"].startswith("jsonld WebPage.datePublished")
