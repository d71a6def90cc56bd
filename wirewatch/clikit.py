"""What every `wirewatch` command shares: global state, error translation, sessions, dates."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import click
from sqlalchemy.exc import SQLAlchemyError

from storage.errors import StorageError, one_line
from wirecore.errors import ConfigError, WirewatchError
from wirewatch.config import Config, load_config
from wirewatch.logs import setup_logging


class State:
    """What the global options decided, shared by the subcommands."""

    def __init__(self, config_path: str | None, log_format: str, verbose: bool) -> None:
        self.config_path = config_path
        self.log_format = log_format
        self.verbose = verbose
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        """The validated configuration, loaded on first use."""
        if self._config is None:
            self._config = load_config(self.config_path)
            setup_logging(self._config.log_level, self.log_format, self.verbose)
        return self._config


@contextmanager
def errors_as_messages() -> Iterator[None]:
    """Turn wirewatch's own errors into one line on stderr and an exit code."""
    try:
        yield
    except ConfigError as err:
        click.echo(f"wirewatch: error: {err}", err=True)
        sys.exit(2)
    except (WirewatchError, StorageError) as err:
        click.echo(f"wirewatch: error: {err}", err=True)
        sys.exit(1)
    except SQLAlchemyError as err:
        click.echo(f"wirewatch: error: database: {one_line(err)}", err=True)
        sys.exit(1)
    except OSError as err:
        click.echo(f"wirewatch: error: {describe_os_error(err)}", err=True)
        sys.exit(1)


def describe_os_error(err: OSError) -> str:
    """``path: reason`` of a file or network error, on one line."""
    reason = err.strerror or one_line(err)
    if err.filename is not None:
        return f"{os.fsdecode(err.filename)!r}: {reason}"
    return reason


MIN_DAY = date(1900, 1, 1)
MAX_DAY = date(9998, 12, 31)
"""The range of calendar days a command accepts (room for a month either side)."""


class Utf8Text(click.ParamType):
    """A text option that must be valid UTF-8 (a stray byte in argv is refused, not stored)."""

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The value unchanged, or a usage error naming the bad bytes."""
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raw = value.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
                self.fail(f"not valid UTF-8 text: '{raw}'", param, ctx)
        return value


TEXT = Utf8Text()
"""Click type of every free-text option."""


def check_day(day: date, what: str) -> date:
    """``day`` if within ``MIN_DAY``..``MAX_DAY``; a one-line usage error otherwise."""
    if not MIN_DAY <= day <= MAX_DAY:
        raise ConfigError(f"{what}: {day} is outside the supported days {MIN_DAY}..{MAX_DAY}")
    return day


def state() -> State:
    """The global options and configuration of the running command."""
    return click.get_current_context().find_object(State)  # type: ignore[return-value]


def parse_when(value: str, tz: ZoneInfo, *, end_of_day: bool = False) -> datetime:
    """A date (its start in ``tz``; the next day's start if ``end_of_day``) or a datetime."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        pass
    else:
        check_day(day, "date")
        start = datetime.combine(day + timedelta(days=1 if end_of_day else 0), time(), tz)
        return start.astimezone(UTC)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not a date or ISO 8601 datetime: {value!r}") from None
    check_day(when.date(), "date")
    return (when if when.tzinfo else when.replace(tzinfo=tz)).astimezone(UTC)


def check_topics(config: Config, topics: tuple[str, ...]) -> None:
    unknown = [t for t in topics if t not in config.topics]
    if unknown:
        known = ", ".join(sorted(config.topics)) or "none"
        raise ConfigError(f"unknown topic {unknown[0]!r} (configured: {known})")


@contextmanager
def open_session(config: Config) -> Iterator[Any]:
    from storage.db import make_engine, make_sessionmaker, ping
    from storage.migrate import upgrade

    engine = make_engine(config.database_url)
    try:
        ping(engine)  # an unreachable database is named (password hidden) in one line
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            yield session
    finally:
        engine.dispose()


SUMMARY_COLUMNS = ("source", "fetched", "new", "updated", "unchanged", "flagged", "failed")
"""The per-source columns `crawl` and `poll` print."""


def crawl_rows(summary: Any) -> list[dict[str, Any]]:
    """One row of `SUMMARY_COLUMNS` per source of a crawl's summary."""
    return [{k: getattr(c, k) for k in SUMMARY_COLUMNS} for c in summary.counts]


def finish_crawl_command(summary: Any, verb: str, *, notes_to_stderr: bool = False) -> None:
    """Print a crawl's closing line; exit 1 when not all was stored, the crawl was
    interrupted, or nothing could be crawled.

    ``notes_to_stderr`` keeps stdout for the rows alone (the machine-readable formats).
    """
    status = f" (run {summary.status})" if summary.status not in ("unknown", "ok") else ""
    click.echo(f"run {summary.run_id}: {summary.finish_reason}{status}", err=notes_to_stderr)
    if summary.undated:
        click.echo(
            f"{summary.undated} new article(s) stored without a publication time",
            err=notes_to_stderr,
        )
    if summary.problem:
        click.echo(f"wirewatch: error: {' '.join(summary.problem.split())}", err=True)
        sys.exit(1)
    if summary.status == "interrupted":
        click.echo(
            f"wirewatch: error: interrupted ({summary.finish_reason}): what was fetched is "
            "stored; the rest is fetched by the next crawl",
            err=True,
        )
        sys.exit(1)
    if summary.nothing_crawled:
        click.echo(f"wirewatch: error: nothing could be {verb}", err=True)
        sys.exit(1)


def verbose_requested(args: list[str]) -> bool:
    """Whether ``-v``/``--verbose`` is among the global options (before the command)."""
    takes_value = {"--config", "--log-format"}
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in takes_value:
            skip = True
        elif arg in ("-v", "--verbose"):
            return True
        elif not arg.startswith("-"):
            return False
    return False


def describe_error(err: BaseException) -> str:
    """One line saying what went wrong, for an exception nothing else translated."""
    if isinstance(err, UnicodeError):
        return f"text that is not valid UTF-8 or cannot be encoded: {one_line(err)}"
    if isinstance(err, OSError):
        return describe_os_error(err)
    if isinstance(err, SQLAlchemyError):
        return f"database: {one_line(err)}"
    if isinstance(err, WirewatchError | StorageError):
        return one_line(err)
    return f"{type(err).__name__}: {one_line(err)}"[:500]


def run_guarded(command: click.Command, args: list[str], prog_name: str) -> None:
    """Run the CLI; any exception that escapes a command becomes one line and exit 1.

    The traceback is printed only with ``-v``; usage errors are one line too, exit 2.
    """
    verbose = verbose_requested(args)
    try:
        code = command.main(args=args, prog_name=prog_name, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("wirewatch: error: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as err:
        click.echo(f"wirewatch: error: {' '.join(err.format_message().split())}", err=True)
        sys.exit(err.exit_code)
    except Exception as err:
        hint = "" if verbose else " (run with -v for the traceback)"
        click.echo(f"wirewatch: error: {describe_error(err)}{hint}", err=True)
        if verbose:
            traceback.print_exception(err, file=sys.stderr)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
