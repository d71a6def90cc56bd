"""`wirewatch report`: render one day's report, or write every format and deliver it.

``--send`` is what the service runs at ``[report] time`` for the day that just ended
(``python -m wirewatch report --date D --send``): it writes the report in every format
with dated names into the report directory first, then delivers it to each configured
channel, retrying with backoff and recording each attempt. It exits 0 once the files
are written, even when a delivery failed (that is logged and recorded).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from wirecore.errors import ConfigError
from wirewatch.clikit import TEXT, check_day, check_topics, errors_as_messages, open_session, state
from wirewatch.config import Config
from wirewatch.output import emit_rows, output_options

logger = logging.getLogger(__name__)

FORMAT_CHOICES = ("md", "html", "json", "csv")
"""Formats `--format` accepts (the same as reports.render.FORMATS)."""
DELIVERY_COLUMNS = ("attempted_at", "channel", "target", "attempt", "status", "error")


@click.command()
@click.option(
    "--date",
    "day",
    type=TEXT,
    help="The day to report (YYYY-MM-DD, report time zone); default: yesterday.",
)
@click.option("--topic", "topics", multiple=True, type=TEXT, help="Only this topic (repeatable).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMAT_CHOICES),
    default=None,
    help="Output format (default md; with --send and no --format: every format, as files).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.option(
    "--send",
    is_flag=True,
    help="Write every format to the report directory, then deliver to the configured channels.",
)
def report(
    day: str | None, topics: tuple[str, ...], fmt: str | None, output: Path | None, send: bool
) -> None:
    """The keyword-match report of one day: per topic, stories, trend and source health."""
    with errors_as_messages():
        config = state().config
        check_topics(config, topics)
        if send and topics:
            raise ConfigError("--send writes the whole day's report; it takes no --topic")
        the_day = parse_day(day, config.report.timezone)
        data = _build(config, the_day, list(topics) or sorted(config.topics))
        if send:
            _send(config, the_day, data)
        if not send or fmt or output:
            text = _render_one(data, fmt or "md")
            if output:
                from reports.delivery.files import write_atomic

                write_atomic(output, text)
                click.echo(f"wrote {output}", err=True)
            else:
                click.echo(text, nl=False)


@click.command("deliveries")
@click.option(
    "--date",
    "day",
    type=TEXT,
    help="The report's day (YYYY-MM-DD, report time zone); default: yesterday.",
)
@output_options
def deliveries(day: str | None) -> None:
    """Every recorded delivery attempt of one day's report: channel, target, attempt, outcome."""
    from storage.report_queries import deliveries_for

    with errors_as_messages():
        config = state().config
        the_day = parse_day(day, config.report.timezone)
        with open_session(config) as session:
            rows = [
                {c: getattr(r, c) for c in DELIVERY_COLUMNS}
                for r in deliveries_for(session, the_day)
            ]
    for row in rows:
        row["attempted_at"] = row["attempted_at"].replace(microsecond=0)
    emit_rows(rows, DELIVERY_COLUMNS)


def parse_day(value: str | None, timezone: str) -> date:
    """The ``--date`` value as a date; default: yesterday in the report time zone."""
    if value is None:
        return datetime.now(ZoneInfo(timezone)).date() - timedelta(days=1)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--date: not a date (YYYY-MM-DD): {value!r}") from None
    return check_day(day, "--date")


def _build(config: Config, day: date, topics: list[str]) -> dict[str, Any]:
    from reports.build import build_report

    sources = [s.name for s in config.sources if s.enabled]
    with open_session(config) as session:
        return build_report(session, day, config.report.timezone, topics, sources)


def _render_one(data: dict[str, Any], fmt: str) -> str:
    from reports.render import render_report, svg_data_uri

    if fmt != "html":
        return render_report(data, fmt)
    from reports.chart import trend_svg

    return render_report(data, "html", chart_src=svg_data_uri(trend_svg(data)))


def _send(config: Config, day: date, data: dict[str, Any]) -> None:
    """Write every format first, then deliver; delivery failures are logged and recorded."""
    from reports.chart import trend_svg
    from reports.delivery.files import write_report_files
    from reports.delivery.send import deliver
    from reports.delivery.smtp import CHART_CID
    from reports.render import FORMATS, render_report, svg_data_uri

    chart = trend_svg(data)
    rendered = {
        fmt: render_report(data, fmt, chart_src=svg_data_uri(chart) if fmt == "html" else None)
        for fmt in FORMATS
    }
    paths = write_report_files(config.report_dir, day, rendered)
    for path in paths:
        click.echo(f"wrote {path}", err=True)
    settings = config.report_delivery
    if not settings.channels:
        logger.info("report %s: no delivery channel configured", day)
        return
    outcomes = deliver(
        data,
        text=rendered["md"],
        html=render_report(data, "html", chart_src=f"cid:{CHART_CID}"),
        chart_svg=chart,
        settings=settings,
        record=_recorder(config, day),
        report_files=[p.name for p in paths],
    )
    for outcome in outcomes:
        status = "delivered" if outcome.ok else "NOT delivered (see the log)"
        click.echo(f"{outcome.channel} {outcome.target}: {status}", err=True)


def _recorder(config: Config, day: date) -> Any:
    """Record each delivery attempt in its own short transaction; never fail the report."""
    from storage.report_queries import record_delivery

    def record(channel: str, target: str, attempt: int, ok: bool, error: str | None) -> None:
        try:
            with open_session(config) as session:
                record_delivery(
                    session,
                    report_date=day,
                    channel=channel,
                    target=target,
                    attempt=attempt,
                    ok=ok,
                    error=error,
                )
                session.commit()
        except Exception as err:  # a lost record must not lose the delivery
            logger.error("could not record delivery attempt: %s", " ".join(str(err).split()))

    return record
