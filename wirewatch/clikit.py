"""What every `wirewatch` command shares: global state, error translation, sessions, dates."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import click
from sqlalchemy.exc import SQLAlchemyError

from storage.errors import StorageError, one_line
from wirewatch.config import Config, load_config
from wirewatch.errors import ConfigError, WirewatchError
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
        start = datetime.combine(day + timedelta(days=1 if end_of_day else 0), time(), tz)
        return start.astimezone(UTC)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not a date or ISO 8601 datetime: {value!r}") from None
    return (when if when.tzinfo else when.replace(tzinfo=tz)).astimezone(UTC)


def check_topics(config: Config, topics: tuple[str, ...]) -> None:
    unknown = [t for t in topics if t not in config.topics]
    if unknown:
        known = ", ".join(sorted(config.topics)) or "none"
        raise ConfigError(f"unknown topic {unknown[0]!r} (configured: {known})")


@contextmanager
def open_session(config: Config) -> Iterator[Any]:
    from storage.db import make_engine, make_sessionmaker
    from storage.migrate import upgrade

    engine = make_engine(config.database_url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            yield session
    finally:
        engine.dispose()
