"""Configuration: read once, validated once, passed down.

Where it comes from, later winning over earlier:

1. built-in defaults (``default_sources.toml`` and ``default_topics.toml`` in this package);
2. one TOML file: ``--config PATH``, else ``$WIREWATCH_CONFIG``, else ``./wirewatch.toml``
   when it exists;
3. environment overrides ``WIREWATCH_DATABASE_URL``, ``WIREWATCH_DATA_DIR``,
   ``WIREWATCH_LOG_LEVEL``.

This is the only module that reads ``os.environ`` for configuration. Every error names
the file, the key and the problem, and a key we do not know is an error, not ignored.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reports.delivery.settings import DeliverySettings
from wirecore.errors import ConfigError
from wirecore.sources import SourceConfig
from wirewatch.config_cluster import ClusterConfig, parse_cluster
from wirewatch.config_report import REPORT_SUBTABLES, parse_report_delivery
from wirewatch.config_service import ServiceConfig, parse_service
from wirewatch.config_sources import (
    check_address,
    check_addresses,
    check_language,
    check_unique_names,
)
from wirewatch.config_values import boolean, check_keys, duration, number, table, whole_number
from wirewatch.config_web import WebConfig, parse_web

DEFAULT_CONFIG_NAME = "wirewatch.toml"
_SOURCE_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")
_ZERO_OK = {"extract_workers", "retries"}


@dataclass(frozen=True, slots=True)
class CrawlConfig:
    """How crawls behave: identity, limits, politeness and the extraction pool."""

    user_agent: str = "wirewatch/0.1 (+https://github.com/wirewatch/wirewatch; news-wire monitor)"
    timeout: float = 30.0
    max_response_bytes: int = 10 * 1024 * 1024
    concurrency: int = 16
    concurrency_per_source: int = 2
    retries: int = 2
    obey_robots: bool = True
    max_age_days: float = 7.0
    max_articles_per_source: int = 500
    extract_workers: int = 0
    fast_extraction: bool = False
    extract_in_process: bool = False
    min_article_chars: int = 10
    store_batch_size: int = 100
    max_crawl_delay: float = 60.0
    max_retry_after: float = 86400.0


@dataclass(frozen=True, slots=True)
class ReportConfig:
    """When the daily report is made, in which time zone, and where it is written."""

    time: time = time(7, 0)
    timezone: str = "UTC"
    directory: Path | None = None


@dataclass(frozen=True, slots=True)
class Config:
    """The whole validated configuration of one wirewatch process."""

    path: Path | None
    data_dir: Path
    database_url: str
    log_level: str
    crawl: CrawlConfig
    report: ReportConfig
    sources: tuple[SourceConfig, ...]
    topics: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    report_delivery: DeliverySettings = field(default_factory=DeliverySettings)
    service: ServiceConfig = field(default_factory=ServiceConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    web: WebConfig = field(default_factory=WebConfig)

    def source(self, name: str) -> SourceConfig:
        """Return the source called ``name`` or raise ConfigError."""
        for src in self.sources:
            if src.name == name:
                return src
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"unknown source {name!r} (configured: {known})")

    @property
    def report_dir(self) -> Path:
        """Directory the daily reports are written to."""
        return self.report.directory or self.data_dir / "reports"


def default_data_dir(env: Mapping[str, str]) -> Path:
    """The data directory when none is configured: ``$XDG_DATA_HOME/wirewatch``."""
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "wirewatch"


def find_config_file(explicit: str | Path | None, env: Mapping[str, str]) -> Path | None:
    """The config file to read: ``--config``, ``$WIREWATCH_CONFIG``, else ``./wirewatch.toml``."""
    if explicit:
        return Path(explicit)
    if env.get("WIREWATCH_CONFIG"):
        return Path(env["WIREWATCH_CONFIG"])
    local = Path(DEFAULT_CONFIG_NAME)
    return local if local.is_file() else None


def load_config(
    explicit_path: str | Path | None = None, env: Mapping[str, str] | None = None
) -> Config:
    """Load, merge and validate the configuration; raise ConfigError with file, key and problem."""
    env = os.environ if env is None else env
    path = find_config_file(explicit_path, env)
    user: dict[str, Any] = _read_toml(path) if path else {}
    where = str(path) if path else "<defaults>"
    return build_config(user, where=where, path=path, env=env)


def build_config(
    user: Mapping[str, Any], *, where: str, path: Path | None, env: Mapping[str, str]
) -> Config:
    """Validate a parsed user config merged over the built-in defaults."""
    check_keys(user, _TOP_KEYS, where, "")
    builtin_sources = boolean(user.get("builtin_sources", True), where, "builtin_sources")
    builtin_topics = boolean(user.get("builtin_topics", True), where, "builtin_topics")
    data_dir = Path(env.get("WIREWATCH_DATA_DIR") or user.get("data_dir") or default_data_dir(env))
    db = table(user, "database", where)
    check_keys(db, {"url"}, where, "database.")
    db_url = env.get("WIREWATCH_DATABASE_URL") or db.get("url") or _default_db_url(data_dir)
    if not isinstance(db_url, str) or "://" not in db_url:
        raise ConfigError(f"{where}: database.url: not a database URL: {db_url!r}")
    log_level = str(env.get("WIREWATCH_LOG_LEVEL") or user.get("log_level") or "INFO").upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"{where}: log_level: must be DEBUG, INFO, WARNING or ERROR")
    sources = _merge_sources(
        _builtin("default_sources.toml").get("sources", []) if builtin_sources else [],
        user.get("sources", []),
        where,
    )
    topics = _merge_topics(
        _builtin("default_topics.toml").get("topics", {}) if builtin_topics else {},
        table(user, "topics", where),
    )
    _validate_topics(topics, where)
    return Config(
        path=path,
        data_dir=data_dir,
        database_url=db_url,
        log_level=log_level,
        crawl=_crawl(table(user, "crawl", where), where),
        report=_report(table(user, "report", where), where),
        sources=sources,
        topics=topics,
        report_delivery=parse_report_delivery(table(user, "report", where), where, env),
        service=parse_service(table(user, "service", where), where, env),
        cluster=parse_cluster(table(user, "cluster", where), where, env),
        web=parse_web(table(user, "web", where), where, env),
    )


_TOP_KEYS = {
    "database",
    "sources",
    "topics",
    "crawl",
    "report",
    "service",
    "cluster",
    "web",
    "data_dir",
    "log_level",
    "builtin_sources",
    "builtin_topics",
}


def _default_db_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'wirewatch.db'}"


MAX_CONFIG_BYTES = 16 * 1024 * 1024
"""Largest config file read (a device or a runaway file is refused, not read for ever)."""


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_CONFIG_BYTES + 1)
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: config file larger than {MAX_CONFIG_BYTES} bytes")
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: not UTF-8 ({err.reason})") from None
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read config file: {err.strerror}") from None


def _builtin(name: str) -> dict[str, Any]:
    text = resources.files("wirewatch").joinpath(name).read_text(encoding="utf-8")
    return tomllib.loads(text)


_CRAWL_DURATIONS = {"timeout", "max_crawl_delay", "max_retry_after"}


def _crawl(data: Mapping[str, Any], where: str) -> CrawlConfig:
    defaults = CrawlConfig()
    check_keys(data, set(CrawlConfig.__slots__), where, "crawl.")
    values: dict[str, Any] = {}
    for key, raw in data.items():
        current = getattr(defaults, key)
        name = f"crawl.{key}"
        if isinstance(current, bool):
            values[key] = boolean(raw, where, name)
        elif isinstance(current, int):
            values[key] = whole_number(raw, where, name, 0 if key in _ZERO_OK else 1)
        elif isinstance(current, float):
            if key in _CRAWL_DURATIONS and isinstance(raw, str):
                values[key] = duration(raw, where, name)
            else:
                values[key] = number(raw, where, name)
        elif not isinstance(raw, str) or not raw.strip():
            raise ConfigError(f"{where}: {name}: must be a non-empty string")
        else:
            values[key] = raw
    return CrawlConfig(**values)


def _report(data: Mapping[str, Any], where: str) -> ReportConfig:
    check_keys(data, {"time", "timezone", "directory", *REPORT_SUBTABLES}, where, "report.")
    at = ReportConfig().time
    if "time" in data:
        try:
            at = time.fromisoformat(str(data["time"]))
        except ValueError:
            raise ConfigError(
                f"{where}: report.time: expected HH:MM, got {data['time']!r}"
            ) from None
    tz = str(data.get("timezone", "UTC"))
    _zone(tz, where, "report.timezone")
    directory = Path(data["directory"]) if data.get("directory") else None
    return ReportConfig(time=at, timezone=tz, directory=directory)


def _zone(name: str, where: str, key: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: {key}: unknown time zone {name!r}") from None


_SOURCE_KEYS = set(SourceConfig.__slots__)


def _merge_sources(builtin: list[Any], user: Any, where: str) -> tuple[SourceConfig, ...]:
    """Built-in sources first; a user entry with the same name overrides its fields."""
    if not isinstance(user, list):
        raise ConfigError(f"{where}: sources: must be an array of tables ([[sources]])")
    check_unique_names(builtin, "<built-in sources>")
    check_unique_names(user, where)
    merged: dict[str, dict[str, Any]] = {}
    for entry in builtin:
        merged[entry["name"]] = dict(entry)
    for i, entry in enumerate(user):
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: sources[{i}]: must be a table")
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where}: sources[{i}].name: missing or not a string")
        merged[name] = {**merged.get(name, {}), **entry}
    return tuple(_source(entry, where, i) for i, entry in enumerate(merged.values()))


def _source(entry: Mapping[str, Any], where: str, index: int) -> SourceConfig:
    name = entry["name"]
    prefix = f"sources[{name}]."
    check_keys(entry, _SOURCE_KEYS, where, prefix)
    if not set(name) <= _SOURCE_NAME_CHARS:
        raise ConfigError(f"{where}: {prefix}name: use lower-case letters, digits, '-', '_', '.'")
    feeds = _urls(entry.get("feeds", []), where, prefix + "feeds")
    sitemaps = _urls(entry.get("sitemaps", []), where, prefix + "sitemaps")
    listings = _urls(entry.get("listings", []), where, prefix + "listings")
    enabled = boolean(entry.get("enabled", True), where, prefix + "enabled")
    if enabled and not feeds and not sitemaps and not listings:
        raise ConfigError(
            f"{where}: {prefix}feeds: a source needs at least one feed or sitemap (or listing)"
        )
    link_pattern = _pattern(entry.get("link_pattern"), where, prefix + "link_pattern")
    if listings and link_pattern is None:
        raise ConfigError(f"{where}: {prefix}link_pattern: needed to read listing pages")
    archive = entry.get("archive")
    if archive is not None and (
        not isinstance(archive, str)
        or not archive.startswith(("http://", "https://"))
        or "{date" not in archive
    ):
        raise ConfigError(
            f"{where}: {prefix}archive: an http(s) URL with a {{date:FORMAT}} placeholder"
        )
    bounds = {
        key: _interval(entry[key], where, prefix + key)
        for key in ("min_interval", "max_interval")
        if key in entry
    }
    language = check_language(entry.get("language"), where, prefix + "language")
    tz = entry.get("timezone")
    if tz is not None:
        _zone(str(tz), where, prefix + "timezone")
    return SourceConfig(
        name=name,
        feeds=feeds,
        sitemaps=sitemaps,
        language=language,
        timezone=tz,
        delay=number(entry.get("delay", 1.0), where, prefix + "delay"),
        interval=_interval(entry.get("interval", 900.0), where, prefix + "interval"),
        enabled=enabled,
        homepage=check_address(entry.get("homepage"), where, prefix + "homepage"),
        notes=entry.get("notes"),
        listings=listings,
        link_pattern=link_pattern,
        archive=archive,
        discovery=boolean(entry.get("discovery", False), where, prefix + "discovery"),
        **bounds,
    )


def _interval(raw: Any, where: str, key: str) -> float:
    """A poll interval: a bare number of seconds is at least 1, a written duration positive."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return number(raw, where, key, 1.0)
    return duration(raw, where, key)


def _pattern(value: Any, where: str, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: {key}: must be a regular expression")
    try:
        re.compile(value)
    except re.error as err:
        raise ConfigError(f"{where}: {key}: not a regular expression: {err}") from None
    return value


def _urls(value: Any, where: str, key: str) -> tuple[str, ...]:
    return check_addresses(value, where, key)


def _merge_topics(
    builtin: Mapping[str, Any], user: Mapping[str, Any]
) -> dict[str, Mapping[str, Any]]:
    """A user topic with the same id replaces the built-in one whole."""
    return {**builtin, **user}


def _validate_topics(topics: Mapping[str, Mapping[str, Any]], where: str) -> None:
    from pipelines.topics import compile_topics  # the matcher owns its rule syntax

    try:
        compile_topics(topics)
    except ConfigError as err:
        raise ConfigError(f"{where}: topics: {err}") from None
