"""`wirewatch sources`, `wirewatch sources check`, `wirewatch poll` and `wirewatch backfill`."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import click

from wirecore.errors import ConfigError
from wirewatch.clikit import (
    SUMMARY_COLUMNS,
    TEXT,
    check_day,
    crawl_rows,
    errors_as_messages,
    finish_crawl_command,
    open_session,
    parse_when,
    state,
)
from wirewatch.output import emit_rows, output_options

SOURCE_COLUMNS = (
    "source",
    "enabled",
    "language",
    "last_poll",
    "last_status",
    "new_24h",
    "failed_24h",
    "failures",
    "next_poll",
    "interval",
    "error",
)
CHECK_COLUMNS = ("source", "discovery", "extraction", "date", "language", "feed", "article")
FAILURE_COLUMNS = ("occurred_at", "source", "stage", "http_status", "reason", "url")
MAX_BACKFILL_DAYS = 3660
"""Most days one `wirewatch backfill` walks (ten years)."""


@click.group("sources", invoke_without_command=True)
@output_options
@click.pass_context
def sources(ctx: click.Context) -> None:
    """List every source with its polling state (or run a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    from storage.sources import source_overview

    with errors_as_messages():
        config = state().config
        with open_session(config) as session:
            rows = source_overview(session, [s.name for s in config.sources], datetime.now(UTC))
    by_name = {s.name: s for s in config.sources}
    for row in rows:
        src = by_name[row["source"]]
        row["enabled"] = "yes" if src.enabled else "no"
        row["language"] = src.language
        if row["interval"] is None:
            row["interval"] = src.interval
        row["interval"] = _duration(row["interval"])
        if row["next_poll"] is None and src.enabled:
            row["next_poll"] = "now"
        for key in ("last_poll", "next_poll"):
            if isinstance(row[key], datetime):
                row[key] = row[key].replace(microsecond=0)
    emit_rows(rows, SOURCE_COLUMNS)


@sources.command("check")
@click.option(
    "--source", "names", multiple=True, type=TEXT, help="Check only this source (repeatable)."
)
@output_options
def sources_check(names: tuple[str, ...]) -> None:
    """Fetch one feed and one article per source; report what still works. Exit 1 on a failure."""
    from wirewatch.canary import run_canary

    with errors_as_messages():
        results = run_canary(state().config, list(names) or None)
    rows = [{k: getattr(r, k) for k in CHECK_COLUMNS} for r in results]
    emit_rows(rows, CHECK_COLUMNS)
    if any(not r.ok for r in results):
        sys.exit(1)


@sources.command("failures")
@click.option("--source", "names", multiple=True, type=TEXT, help="Only this source (repeatable).")
@click.option("--since", type=TEXT, help="From (YYYY-MM-DD or ISO 8601; default: 24 h ago).")
@click.option("--until", type=TEXT, help="Before (a date includes that whole day; default: now).")
@output_options
def sources_failures(names: tuple[str, ...], since: str | None, until: str | None) -> None:
    """Each recorded fetch, feed and page failure in a time window, oldest first."""
    from storage.queries import failures_between

    with errors_as_messages():
        config = state().config
        for name in names:
            config.source(name)  # an unknown name is a usage error
        tz = ZoneInfo(config.report.timezone)
        now = datetime.now(UTC)
        start = parse_when(since, tz) if since else now - timedelta(hours=24)
        end = parse_when(until, tz, end_of_day=True) if until else now
        with open_session(config) as session:
            found = failures_between(session, start, end)
    rows = [
        {c: getattr(f, c) for c in FAILURE_COLUMNS} for f in found if not names or f.source in names
    ]
    for row in rows:
        row["occurred_at"] = row["occurred_at"].replace(microsecond=0)
    emit_rows(rows, FAILURE_COLUMNS)


@click.command("poll")
@click.option(
    "--source", "names", multiple=True, type=TEXT, help="Poll only this source (repeatable)."
)
@output_options
def poll(names: tuple[str, ...]) -> None:
    """Poll the sources politely once: conditional requests, only new or changed articles."""
    from wirewatch.crawl import run_crawl

    with errors_as_messages():
        summary = run_crawl(
            state().config, list(names) or None, verbose=state().verbose, incremental=True
        )
    fmt = emit_rows(crawl_rows(summary), SUMMARY_COLUMNS)
    finish_crawl_command(summary, "polled", notes_to_stderr=fmt != "table")


@click.command("backfill")
@click.option("--source", "name", required=True, type=TEXT, help="The source to backfill.")
@click.option("--since", required=True, type=TEXT, help="First day (YYYY-MM-DD).")
@click.option("--until", type=TEXT, help="Last day, included (YYYY-MM-DD; default: yesterday).")
def backfill(name: str, since: str, until: str | None) -> None:
    """Walk a source's dated archive from --since to --until; resumes where it stopped."""
    from scrapers.backfill import BackfillSpider
    from storage import backfill as progress
    from wirewatch.crawl import run_crawl

    with errors_as_messages():
        config = state().config
        src = config.source(name)
        if not src.archive:
            raise ConfigError(
                f"source {name!r} has no archive configured (sources[{name}].archive)"
            )
        first = _day(since, "--since")
        last = _day(until, "--until") if until else date.today() - timedelta(days=1)
        if last < first:
            raise ConfigError("--until is before --since")
        if (last - first).days >= MAX_BACKFILL_DAYS:
            raise ConfigError(
                f"--since..--until spans more than {MAX_BACKFILL_DAYS} days; backfill in parts"
            )
        summary = run_crawl(
            config,
            [name],
            verbose=state().verbose,
            spider=BackfillSpider,
            spider_args={"since": first.isoformat(), "until": last.isoformat()},
        )
        with open_session(config) as session:
            row = progress.progress(session, name, first, last)
            done, links = (row.days_done, row.articles) if row else (0, 0)
            next_day = row.next_day if row else first
    total = (last - first).days + 1
    counts = {c.source: c for c in summary.counts}.get(name)
    stored = f"{counts.new} new, {counts.updated} updated" if counts else "nothing stored"
    click.echo(f"{name}: {done}/{total} days done, {links} links listed; this run: {stored}")
    if next_day <= last:
        click.echo(
            f"wirewatch: error: backfill stopped before {next_day}; run again to resume", err=True
        )
        sys.exit(1)


def _day(value: str, option: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not a date (YYYY-MM-DD): {value!r}", param_hint=option) from None
    return check_day(day, option)


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds >= 60:
        return f"{seconds / 60:.0f}m"
    return f"{seconds:.0f}s"
