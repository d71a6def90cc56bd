"""The ``[service]`` table: how `wirewatch run` schedules, isolates, exposes and stops work.

Parsed by `wirewatch.config.build_config`; every key is optional::

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
from dataclasses import dataclass
from typing import Any

from wirecore.errors import ConfigError
from wirewatch.durations import parse_duration


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """Settings of the long-lived service (`wirewatch run`)."""

    health_host: str = "127.0.0.1"
    health_port: int = 0
    max_concurrent_crawls: int = 2
    crawl_timeout: float | None = None
    memory_limit: int = 2048
    stop_grace: float = 60.0
    leader_poll: float = 5.0
    max_backoff: float = 3600.0

    def timeout_for(self, interval: float) -> float:
        """Wall-clock limit of one crawl of a source polled every ``interval`` seconds."""
        if self.crawl_timeout is not None:
            return self.crawl_timeout
        return max(600.0, 3 * interval)


_DURATIONS = {"crawl_timeout", "stop_grace", "leader_poll", "max_backoff"}


ENV_OVERRIDES = {
    "WIREWATCH_HEALTH_HOST": "health_host",
    "WIREWATCH_HEALTH_PORT": "health_port",
}
"""Environment variables that override ``[service]`` keys (containers set the port here)."""


def parse_service(
    data: Mapping[str, Any], where: str, env: Mapping[str, str] | None = None
) -> ServiceConfig:
    """Validate the ``[service]`` table and its environment overrides; raise ConfigError."""
    allowed = set(ServiceConfig.__slots__)
    merged = dict(data)
    for var, key in ENV_OVERRIDES.items():
        if (env or {}).get(var):
            raw = (env or {})[var].strip()
            merged[key] = int(raw) if key == "health_port" and raw.isdigit() else raw
    values: dict[str, Any] = {}
    for key, raw in merged.items():
        name = f"service.{key}"
        if key not in allowed:
            hint = ", ".join(sorted(allowed))
            raise ConfigError(f"{where}: {name}: unknown key (expected one of: {hint})")
        if key in _DURATIONS:
            values[key] = duration(raw, where, name)
        elif key == "health_host":
            if not isinstance(raw, str) or not raw.strip():
                raise ConfigError(f"{where}: {name}: must be a host name or address")
            values[key] = raw.strip()
        else:
            values[key] = _int(raw, where, name, key)
    return ServiceConfig(**values)


def duration(raw: Any, where: str, name: str) -> float:
    """``raw`` (seconds or a duration such as ``"90s"``) as positive seconds, or ConfigError."""
    if isinstance(raw, bool):
        raise ConfigError(f"{where}: {name}: must be a duration such as '90s' or '15m'")
    try:
        seconds = float(raw) if isinstance(raw, int | float) else parse_duration(str(raw))
    except ValueError as err:
        raise ConfigError(f"{where}: {name}: {err}") from None
    if seconds <= 0:
        raise ConfigError(f"{where}: {name}: must be positive")
    return seconds


_INT_RANGES = {
    "health_port": (0, 65535),
    "max_concurrent_crawls": (1, 64),
    "memory_limit": (0, 1 << 30),
}


def _int(raw: Any, where: str, name: str, key: str) -> int:
    return whole_number(raw, where, name, *_INT_RANGES[key])


def whole_number(raw: Any, where: str, name: str, low: int, high: int) -> int:
    """``raw`` as a whole number within ``low..high``, or ConfigError naming ``name``."""
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ConfigError(f"{where}: {name}: must be a whole number")
    if not low <= raw <= high:
        raise ConfigError(f"{where}: {name}: must be within {low}..{high}")
    return raw
