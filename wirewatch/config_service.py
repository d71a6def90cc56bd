"""The ``[service]`` table: how `wirewatch run` schedules, isolates, exposes and stops work.

Parsed by `wirewatch.config.build_config` into ``scheduler.settings.ServiceConfig`` (the
settings belong to the package that reads them); every key is optional::

    [service]
    health_host = "127.0.0.1"   # where /healthz and /metrics listen
    health_port = 0             # 0: no HTTP endpoint
    max_concurrent_crawls = 2   # crawl child processes at once (two cores)
    crawl_timeout = "10m"       # wall-clock limit of one crawl; default: 3 intervals, >= 10 min
    memory_limit = 2048         # MiB of address space per crawl process; 0: no limit
    stop_grace = "60s"          # on SIGTERM, how long running crawls get to flush
    leader_poll = "5s"          # how often a standby tries the lock / the leader checks it
    max_backoff = "1h"          # longest pause after repeated failures of one source
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scheduler.settings import ServiceConfig
from wirecore.errors import ConfigError
from wirewatch.config_values import check_keys, duration, whole_number, with_env

__all__ = ["ENV_OVERRIDES", "ServiceConfig", "parse_service"]

_DURATIONS = {"crawl_timeout", "stop_grace", "leader_poll", "max_backoff"}


ENV_OVERRIDES = {
    "WIREWATCH_HEALTH_HOST": "health_host",
    "WIREWATCH_HEALTH_PORT": "health_port",
}
"""Environment variables that override ``[service]`` keys (containers set the port here)."""

_INT_RANGES = {
    "health_port": (0, 65535),
    "max_concurrent_crawls": (1, 64),
    "memory_limit": (0, 1 << 30),
}


def parse_service(
    data: Mapping[str, Any], where: str, env: Mapping[str, str] | None = None
) -> ServiceConfig:
    """Validate the ``[service]`` table and its environment overrides; raise ConfigError."""
    merged = with_env(data, ENV_OVERRIDES, env, numbers={"health_port"})
    check_keys(merged, ServiceConfig.__slots__, where, "service.")
    values: dict[str, Any] = {}
    for key, raw in merged.items():
        name = f"service.{key}"
        if key in _DURATIONS:
            values[key] = duration(raw, where, name)
        elif key == "health_host":
            if not isinstance(raw, str) or not raw.strip():
                raise ConfigError(f"{where}: {name}: must be a host name or address")
            values[key] = raw.strip()
        else:
            values[key] = whole_number(raw, where, name, *_INT_RANGES[key])
    return ServiceConfig(**values)
