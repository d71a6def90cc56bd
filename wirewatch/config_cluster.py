"""The ``[cluster]`` table: how polls are spread over long-lived crawl workers.

Parsed by `wirewatch.config.build_config` into ``scheduler.settings.ClusterConfig``; every
key is optional::

    [cluster]
    queue_url = ""            # "": one node, no server; "redis://host:6379/0": shared queue
    queue_name = "wirewatch"  # key prefix of the queue (one per deployment)
    workers = 1               # crawl worker processes `wirewatch run` starts on this node
    polls_per_worker = 32     # polls one worker runs at once
    extract_workers = 1       # extraction processes per crawl worker (new articles only)
    lease = "30s"             # a silent worker's sources are taken over after this long
    dispatch_every = "1s"     # how often the leader hands due sources to the queue
    keep_empty_polls = "2d"   # runs of polls that found nothing are deleted after this
    health_port = 0           # `wirewatch worker`: /healthz and /metrics port (0: none)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from scheduler.settings import ClusterConfig
from wirecore.errors import ConfigError
from wirewatch.config_values import check_keys, duration, whole_number, with_env

__all__ = ["ENV_OVERRIDES", "QUEUE_SCHEMES", "ClusterConfig", "parse_cluster"]


ENV_OVERRIDES = {
    "WIREWATCH_QUEUE_URL": "queue_url",
    "WIREWATCH_QUEUE_NAME": "queue_name",
    "WIREWATCH_WORKER_HEALTH_PORT": "health_port",
}
"""Environment variables that override ``[cluster]`` keys (containers set these)."""

_INT_RANGES = {
    "workers": (0, 64),
    "polls_per_worker": (1, 1024),
    "extract_workers": (0, 64),
    "health_port": (0, 65535),
}
_DURATIONS = {"lease", "dispatch_every", "keep_empty_polls"}
QUEUE_SCHEMES = ("redis", "rediss", "unix")


def parse_cluster(
    data: Mapping[str, Any], where: str, env: Mapping[str, str] | None = None
) -> ClusterConfig:
    """Validate the ``[cluster]`` table and its environment overrides; raise ConfigError."""
    merged = with_env(data, ENV_OVERRIDES, env, numbers={"health_port"})
    check_keys(merged, ClusterConfig.__slots__, where, "cluster.")
    values: dict[str, Any] = {}
    for key, raw in merged.items():
        name = f"cluster.{key}"
        if key in _DURATIONS:
            values[key] = duration(raw, where, name)
        elif key == "queue_url":
            values[key] = _queue_url(raw, where, name)
        elif key == "queue_name":
            values[key] = _queue_name(raw, where, name)
        else:
            values[key] = whole_number(raw, where, name, *_INT_RANGES[key])
    config = ClusterConfig(**values)
    if config.workers == 0 and not config.queued:
        raise ConfigError(
            f"{where}: cluster.workers: 0 needs cluster.queue_url (no worker would poll)"
        )
    if config.workers > 1 and not config.queued:
        raise ConfigError(
            f"{where}: cluster.workers: more than one worker needs cluster.queue_url "
            "(one worker polls hundreds of sources at once; see polls_per_worker)"
        )
    return config


def _queue_url(raw: Any, where: str, name: str) -> str:
    if not isinstance(raw, str):
        raise ConfigError(f"{where}: {name}: must be a string such as 'redis://host:6379/0'")
    url = raw.strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise ConfigError(f"{where}: {name}: malformed URL: {err}") from None
    if parts.scheme not in QUEUE_SCHEMES:
        raise ConfigError(
            f"{where}: {name}: unsupported queue {parts.scheme or url!r} "
            "(expected redis://host:port/db, rediss://... or unix:///path)"
        )
    if parts.scheme != "unix" and not parts.hostname:
        raise ConfigError(f"{where}: {name}: no host in {url!r}")
    if port is not None and not 0 < port < 65536:
        raise ConfigError(f"{where}: {name}: port out of range")
    return url


def _queue_name(raw: Any, where: str, name: str) -> str:
    ok = isinstance(raw, str) and 0 < len(raw.strip()) <= 100
    if not ok or any(c.isspace() or not c.isprintable() for c in str(raw).strip()):
        raise ConfigError(f"{where}: {name}: must be 1-100 printable characters, no spaces")
    return str(raw).strip()
