"""The `wirewatch` command line: crawl, query, report, run, db, config.

Every command reads the configuration once (``--config`` before the subcommand, then
``$WIREWATCH_CONFIG``, then ``./wirewatch.toml``, then built-in defaults) and exits with
a one-line error and no traceback on bad input: 2 for a configuration or usage error,
1 for anything else that went wrong.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click

from wirewatch.clikit import (
    SUMMARY_COLUMNS,
    TEXT,
    State,
    check_topics,
    crawl_rows,
    errors_as_messages,
    finish_crawl_command,
    open_session,
    parse_when,
    run_guarded,
    state,
)
from wirewatch.output import emit_rows, output_options

logger = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

MAX_LIMIT = 1_000_000
"""Most rows `query --limit` returns."""
QUERY_COLUMNS = (
    "published",
    "source",
    "language",
    "topics",
    "relevance",
    "title",
    "url",
    "snippet",
)
JSON_COLUMNS = (
    "url",
    "title",
    "source",
    "published",
    "language",
    "topics",
    "snippet",
    "author",
    "score",
    "relevance",
    "story",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Config file (default: $WIREWATCH_CONFIG, then ./wirewatch.toml).",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log line format on stderr.",
)
@click.option("-v", "--verbose", is_flag=True, help="Also show Scrapy's own log lines.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, log_format: str, verbose: bool) -> None:
    """wirewatch: watch news wires and report what was written about your topics."""
    ctx.obj = State(config_path, log_format, verbose)


@cli.command()
@click.option(
    "--source", "sources", multiple=True, type=TEXT, help="Crawl only this source (repeatable)."
)
@output_options
def crawl(sources: tuple[str, ...]) -> None:
    """Crawl the configured sources once, now, and print a per-source summary."""
    from pipelines.extract import start_fork_server

    start_fork_server()  # loads the extraction workers' code while the crawl sets up
    from wirewatch.crawl import run_crawl

    with errors_as_messages():
        summary = run_crawl(state().config, list(sources) or None, verbose=state().verbose)
    fmt = emit_rows(crawl_rows(summary), SUMMARY_COLUMNS)
    finish_crawl_command(summary, "crawled", notes_to_stderr=fmt != "table")


@cli.command()
@click.option("--topic", "topics", multiple=True, type=TEXT, help="Only this topic's articles.")
@click.option("--source", "sources", multiple=True, type=TEXT, help="Only this source's articles.")
@click.option("--since", type=TEXT, help="Published at or after (YYYY-MM-DD or ISO 8601).")
@click.option("--until", type=TEXT, help="Published before; a date includes that whole day.")
@click.option("--lang", "languages", multiple=True, type=TEXT, help="Only this language (en...).")
@click.option("--search", type=TEXT, help="Full-text search over title and text.")
@click.option(
    "--relevance",
    type=click.Choice(["about", "mentions"]),
    help="Only matches at this level: stories about the topic, or passing mentions.",
)
@click.option(
    "--sort",
    type=click.Choice(["date", "relevance"]),
    default="date",
    show_default=True,
    help="relevance: stories about a topic first, then mentions; newest first within each.",
)
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=100, show_default=True)
@output_options
@click.option(
    "-v", "--verbose", is_flag=True, help="Also show how each publication time was chosen."
)
def query(
    topics: tuple[str, ...],
    sources: tuple[str, ...],
    since: str | None,
    until: str | None,
    languages: tuple[str, ...],
    search: str | None,
    relevance: str | None,
    sort: str,
    limit: int,
    verbose: bool,
) -> None:
    """Search the collected articles. Dates are in the report time zone unless they carry one."""
    from pipelines.morph import search_forms
    from storage.queries import ArticleFilter, find_articles

    with errors_as_messages():
        config = state().config
        check_topics(config, topics)
        tz = ZoneInfo(config.report.timezone)
        flt = ArticleFilter(
            topics=topics,
            sources=sources,
            languages=languages,
            search=search,
            limit=limit,
            expand=search_forms,
            since=parse_when(since, tz) if since else None,
            until=parse_when(until, tz, end_of_day=True) if until else None,
            relevance=relevance,
            by_relevance=sort == "relevance",
        )
        with open_session(config) as session:
            rows = [_article_dict(r) for r in find_articles(session, flt)]
    columns = (*JSON_COLUMNS, "published_origin", "published_note") if verbose else JSON_COLUMNS
    fmt = emit_rows(rows, columns, table_columns=QUERY_COLUMNS)
    if verbose and fmt == "table":  # the notes are too long for a table cell
        for row in rows:
            click.echo(f"{row['url']}\n  published: {row['published_note'] or 'no date found'}")


def _article_dict(row: Any) -> dict[str, Any]:
    return {
        "url": row.url,
        "title": row.title,
        "source": row.source,
        "published": row.published.astimezone(UTC) if row.published else None,
        "language": row.language,
        "topics": list(row.topics),
        "snippet": row.snippet,
        "author": row.author,
        "score": row.score,
        "relevance": row.relevance,
        "published_origin": row.published_origin,
        "published_note": row.published_note,
    }


@cli.command()
def run() -> None:
    """Run the service: crawl each source on its interval, make the daily report."""
    from wirewatch.runtime import run_service

    with errors_as_messages():
        opts = state()
        code = run_service(opts.config, opts.config_path, opts.log_format, opts.verbose)
    sys.exit(code)


@cli.command()
@click.option("--stdin", "from_stdin", is_flag=True, hidden=True, help="Orders on stdin.")
@click.option("--name", default=None, hidden=True, help="Worker name (set by the service).")
@click.option("--report", is_flag=True, hidden=True, help="Report polls on stdout.")
def worker(from_stdin: bool, name: str | None, report: bool) -> None:
    """Run a crawl worker: poll the sources the leader hands out through [cluster] queue_url."""
    from pipelines.extract import start_fork_server

    start_fork_server()  # loads the extraction workers' code while the worker sets up
    from wirecore.errors import ConfigError
    from wirewatch.runtime import run_worker

    with errors_as_messages():
        config = state().config
        if not from_stdin and not config.cluster.queued:
            raise ConfigError(
                "wirewatch worker needs [cluster] queue_url (or WIREWATCH_QUEUE_URL); "
                "without a queue, `wirewatch run` polls on its own"
            )
        code = run_worker(config, stdin=from_stdin, name=name, report=report)
    sys.exit(code)


@cli.group()
def db() -> None:
    """Database schema commands (Alembic owns the schema)."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the database schema to the latest version."""
    from storage.db import make_engine
    from storage.migrate import current, upgrade

    with errors_as_messages():
        engine = make_engine(state().config.database_url)
        try:
            upgrade(engine)
            click.echo(f"database at revision {current(engine)}")
        finally:
            engine.dispose()


@db.command("check")
def db_check() -> None:
    """Fail when the models and the migrations disagree; close crawl runs whose process is gone."""
    from storage.db import make_engine, make_sessionmaker
    from storage.migrate import check, upgrade
    from storage.runs import close_lost_runs

    with errors_as_messages():
        engine = make_engine(state().config.database_url)
        try:
            upgrade(engine)
            check(engine)
            click.echo("models and migrations agree")
            with make_sessionmaker(engine).begin() as session:
                lost = close_lost_runs(session, datetime.now(UTC))
            for run_id, reason in lost:
                click.echo(f"crawl run {run_id} closed as failed: {reason}")
            click.echo(f"{len(lost)} lost crawl run(s) closed")
        finally:
            engine.dispose()


@cli.command("config")
@output_options
def config_cmd() -> None:
    """Validate the configuration and show what it resolves to (passwords hidden)."""
    with errors_as_messages():
        config = state().config
    from sqlalchemy.engine import make_url

    enabled = [s.name for s in config.sources if s.enabled]
    settings: list[tuple[str, Any]] = [
        ("config file", str(config.path) if config.path else "(built-in defaults)"),
        ("data dir", str(config.data_dir)),
        ("database", make_url(config.database_url).render_as_string(hide_password=True)),
        ("topics", sorted(config.topics)),
        ("sources enabled", enabled),
    ]
    rows = [{"key": key, "value": value} for key, value in settings]
    emit_rows(rows, ("key", "value"), table_width=None)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: one line and exit 1 for anything no command translated."""
    run_guarded(cli, sys.argv[1:] if argv is None else argv, "wirewatch")


if __name__ == "__main__":  # pragma: no cover
    main()


from wirewatch.cli_report import deliveries, report  # noqa: E402

cli.add_command(report)
cli.add_command(deliveries)

from wirewatch.cli_sources import backfill, poll, sources  # noqa: E402

cli.add_command(sources)
cli.add_command(poll)
cli.add_command(backfill)


from wirewatch.cli_topics import flag, reflag  # noqa: E402

cli.add_command(flag)
cli.add_command(reflag)

from wirewatch.cli_eval import eval_cmd  # noqa: E402

cli.add_command(eval_cmd)
from wirewatch.cli_web import serve  # noqa: E402

cli.add_command(serve)
