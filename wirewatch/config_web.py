"""The ``[web]`` table: where `wirewatch serve` (and `wirewatch run` with ``enabled``) listens.

Parsed by `wirewatch.config.build_config`; every key is optional::

    [web]
    host = "127.0.0.1"   # a non-loopback address needs a token or a user name and password
    port = 8081
    enabled = false      # also serve the site from `wirewatch run`
    username = "desk"    # basic auth user; the password comes from WIREWATCH_WEB_PASSWORD
    page_size = 50       # articles per page

Secrets come from the environment only: ``WIREWATCH_WEB_TOKEN`` (a bearer token) and
``WIREWATCH_WEB_PASSWORD`` (the basic-auth password of ``username``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wirecore.errors import ConfigError
from wirewatch.config_values import boolean, check_keys, whole_number, with_env


@dataclass(frozen=True, slots=True)
class WebConfig:
    """Settings of the read-only web site."""

    host: str = "127.0.0.1"
    port: int = 8081
    enabled: bool = False
    username: str | None = None
    page_size: int = 50
    token: str | None = None
    password: str | None = None

    @property
    def auth_required(self) -> bool:
        """True when requests must carry the token or the basic-auth credentials."""
        return bool(self.token or (self.username and self.password))


ENV_OVERRIDES = {"WIREWATCH_WEB_HOST": "host", "WIREWATCH_WEB_PORT": "port"}
"""Environment variables that override ``[web]`` keys."""

_KEYS = ("host", "port", "enabled", "username", "page_size")
_RANGES = {"port": (1, 65535), "page_size": (1, 500)}


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_web(data: Mapping[str, Any], where: str, env: Mapping[str, str]) -> WebConfig:
    """Validate the ``[web]`` table and its environment overrides; raise ConfigError."""
    merged = with_env(data, ENV_OVERRIDES, env, numbers={"port"})
    check_keys(merged, _KEYS, where, "web.")
    values: dict[str, Any] = {}
    for key, raw in merged.items():
        name = f"web.{key}"
        if key == "enabled":
            values[key] = boolean(raw, where, name)
        elif key in ("host", "username"):
            if not isinstance(raw, str) or not raw.strip() or (key == "username" and ":" in raw):
                raise ConfigError(f"{where}: {name}: must be a non-empty string")
            values[key] = raw.strip()
        else:
            values[key] = whole_number(raw, where, name, *_RANGES[key])
    values["token"] = env.get("WIREWATCH_WEB_TOKEN") or None
    values["password"] = env.get("WIREWATCH_WEB_PASSWORD") or None
    web = WebConfig(**values)
    if web.username and not web.password:
        raise ConfigError(f"{where}: web.username: set WIREWATCH_WEB_PASSWORD as well")
    if not is_loopback(web.host) and not web.auth_required:
        raise ConfigError(
            f"{where}: web.host: {web.host} is not a loopback address: set WIREWATCH_WEB_TOKEN "
            "or web.username with WIREWATCH_WEB_PASSWORD"
        )
    return web
